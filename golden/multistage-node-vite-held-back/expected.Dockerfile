FROM node:20-alpine
LABEL org.opencontainers.image.source="https://example.com/web"
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
# produces dist/
RUN npm run build
RUN chown 1000:1000 /app
USER 1000:1000
EXPOSE 4173
CMD ["npm", "run", "preview"]
