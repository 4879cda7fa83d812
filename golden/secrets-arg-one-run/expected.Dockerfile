# A Node service that installs from a private registry with a token passed as a build argument.
FROM node:18-slim
WORKDIR /app
COPY package.json package-lock.json ./
# the token goes into a throw-away .npmrc for the install only
RUN --mount=type=secret,id=npm_token export NPM_TOKEN="$(cat /run/secrets/npm_token)" && echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc \
    && npm ci --omit=dev \
    && rm -f .npmrc
COPY . .
USER node
CMD ["node", "server.js"]
