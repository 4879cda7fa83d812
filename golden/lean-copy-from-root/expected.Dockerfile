FROM alpine:3.19 AS rootfs
RUN apk add --no-cache ca-certificates
FROM scratch
COPY --from=rootfs / /
CMD ["/bin/sh"]
