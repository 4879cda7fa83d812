FROM debian:bookworm-slim
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app /data \
    && chown 10001:10001 /home/app /data
VOLUME /data
USER 10001:10001
CMD ["sh", "-c", "touch /data/y && exec sleep 600"]
