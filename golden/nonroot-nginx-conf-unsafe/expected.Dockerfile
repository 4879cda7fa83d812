FROM nginxinc/nginx-unprivileged:1.27
COPY default.conf /etc/nginx/conf.d/default.conf
COPY site/ /usr/share/nginx/html/
USER 101
EXPOSE 8080
