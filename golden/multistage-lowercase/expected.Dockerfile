from node:20 as builder
workdir /app
copy package.json .
run npm install
copy . .
run npm run build
run npm prune --omit=dev

from node:20-slim
workdir /app
copy --from=builder /app /app
user 1000:1000
cmd ["node","dist/index.js"]
