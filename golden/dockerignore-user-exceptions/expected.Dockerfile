FROM node:20-alpine
WORKDIR /srv
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY server.js docs/README.md ./
COPY .env.defaults ./
CMD ["node", "server.js"]
