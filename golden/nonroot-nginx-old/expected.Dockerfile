FROM nginx:1.13-alpine
COPY site/ /usr/share/nginx/html/
EXPOSE 80
