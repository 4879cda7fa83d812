FROM node:18
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run prestart
RUN chown 1000:1000 /app
USER 1000:1000
EXPOSE 3000
CMD ["npm", "start"]
