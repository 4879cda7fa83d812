FROM nginx:1.13-alpine
COPY site/ /usr/share/nginx/html/
RUN addgroup -S -g 10001 app \
    && adduser -S -D -H -u 10001 -G app -h /home/app -s /sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app \
    && sed -i 's,listen  *80;,listen       8080;,; s,listen  *\[::\]:80;,listen       [::]:8080;,' /etc/nginx/conf.d/default.conf \
    && sed -i '/^user /d; s,/var/run/nginx.pid,/tmp/nginx.pid,' /etc/nginx/nginx.conf \
    && chown -R 10001:10001 /var/cache/nginx
USER 10001:10001
EXPOSE 8080
