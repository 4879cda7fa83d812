# the heredoc ends the file, without a final newline: the added lines keep it that way
FROM debian:bookworm-slim
COPY <<EOF /etc/motd
hello
EOF

RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app
USER 10001:10001