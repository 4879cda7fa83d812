FROM node:18-slim
WORKDIR /usr/src/app
COPY package.json ./
RUN npm install --omit=dev
COPY . .
RUN chown 1000:1000 /usr/src/app \
    && chown -R 1000:1000 /usr/src/app/logs
USER 1000:1000
EXPOSE 3000
CMD ["node", "server.js"]
