FROM nginx:1.27-alpine AS web
COPY site/ /usr/share/nginx/html/
