FROM php:8.2-apache
RUN apt-get update && apt-get install -y --no-install-recommends php8.2-sqlite3 && rm -rf /var/lib/apt/lists/*
COPY src/ /var/www/html/
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app \
    && sed -i 's/^Listen 80$/Listen 8080/' /etc/apache2/ports.conf \
    && sed -i 's/<VirtualHost \*:80>/<VirtualHost *:8080>/' /etc/apache2/sites-available/000-default.conf \
    && chown -R 10001:10001 /var/run/apache2 /var/lock/apache2 /var/log/apache2
USER 10001:10001
EXPOSE 8080
