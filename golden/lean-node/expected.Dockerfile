FROM node:18-slim
WORKDIR /app
COPY package*.json ./
RUN npm ci --omit=dev && npm cache clean --force
RUN yarn install --frozen-lockfile && yarn build && yarn cache clean
RUN corepack enable && pnpm install --prod && pnpm store prune
RUN npm install -g serve && npm cache clean --force
CMD ["node", "server.js"]
