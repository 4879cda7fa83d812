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
run chown 1000:1000 /app
user 1000:1000
cmd ["node","dist/index.js"]
