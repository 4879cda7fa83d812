# .npmrc holds the registry token; it is copied for the install and deleted afterwards,
# which leaves it in the COPY layer.
FROM node:18 AS build
WORKDIR /usr/src/app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npmrc,target=/usr/src/app/.npmrc,required=true npm ci
RUN --mount=type=secret,id=npmrc,target=/usr/src/app/.npmrc,required=true npm run build \
    && npm prune --omit=dev

FROM node:18-slim
WORKDIR /usr/src/app
COPY --from=build /usr/src/app /usr/src/app
RUN --mount=type=secret,id=pip_conf,target=/etc/pip.conf,required=true apt-get update && apt-get install -y --no-install-recommends python3-pip \
    && pip3 install --break-system-packages supervisor \
    && rm -rf /var/lib/apt/lists/*
CMD ["node", "dist/server.js"]
