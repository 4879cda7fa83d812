from node:20-slim as build
workdir /app
copy package.json .
run npm ci
copy . .
run npm run build

from node:20-slim as runtime
workdir /app
copy --from=build /app/dist ./dist
onbuild run echo building
cmd ["node", "dist/index.js"]
