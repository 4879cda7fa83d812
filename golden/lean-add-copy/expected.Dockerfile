FROM debian:bookworm-slim
COPY app.sh /usr/local/bin/
COPY static /srv/static
ADD vendor/bundle.bin /opt/
ADD site.tar.gz /srv/site/
ADD https://example.com/tool.sh /usr/local/bin/tool.sh
ADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 conf.txt /etc/
ADD ${SRC} /opt/src
copy --chown=1:1 notes.txt /opt/
CMD ["sh"]
