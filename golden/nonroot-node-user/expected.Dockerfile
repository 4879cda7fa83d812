FROM node:20-slim
WORKDIR /usr/src/app
COPY package*.json ./
RUN npm ci --omit=dev
COPY . .
RUN chown 1000:1000 /usr/src/app
USER 1000:1000
CMD ["node", "server.js"]
