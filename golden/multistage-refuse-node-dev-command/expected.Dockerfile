FROM node:18
WORKDIR /usr/src/app
COPY package.json ./
RUN npm install
COPY . .
RUN chown 1000:1000 /usr/src/app
USER 1000:1000
EXPOSE 3000
# npm start runs nodemon, which the production-only runtime would not have
CMD ["npm", "start"]
