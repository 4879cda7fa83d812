FROM node:22-slim
WORKDIR /app
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN curl -fsSL https://example.com/assets.tgz | tar -xz
COPY server.js .
CMD ["node", "server.js"]
