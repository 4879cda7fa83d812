FROM alpine:3.20
RUN apk add --no-cache curl \
      ca-certificates
COPY entry.sh /usr/local/bin/entry.sh
RUN addgroup -S -g 10001 app \
      && adduser -S -D -H -u 10001 -G app -h /home/app -s /sbin/nologin app \
      && mkdir -p /home/app \
      && chown 10001:10001 /home/app
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/entry.sh"]
