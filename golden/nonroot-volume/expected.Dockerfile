FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends sqlite3 \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /app/logs /usr/local/share/app
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app /data /app/logs \
    && chown 10001:10001 /home/app /data /app/logs
VOLUME ["/data"]
WORKDIR /app
RUN chown 10001:10001 /app
USER 10001:10001
CMD ["sqlite3", "/data/db.sqlite"]
