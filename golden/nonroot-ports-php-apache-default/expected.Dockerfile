FROM php:8.2-apache
RUN apt-get update && apt-get install -y --no-install-recommends php8.2-sqlite3 && rm -rf /var/lib/apt/lists/*
COPY src/ /var/www/html/
EXPOSE 80
