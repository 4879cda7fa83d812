FROM node:20-bookworm AS builder
WORKDIR /app
COPY . .
RUN npm ci && npm run build
RUN npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=builder /app /app
CMD ["node", "dist/index.js"]