FROM httpd:2.4
COPY ./public-html/ /usr/local/apache2/htdocs/
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app \
    && sed -i 's/^Listen 80$/Listen 8080/' /usr/local/apache2/conf/httpd.conf \
    && chown -R 10001:10001 /usr/local/apache2/logs
USER 10001:10001
