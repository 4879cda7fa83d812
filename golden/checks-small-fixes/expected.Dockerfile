FROM python:3.12-slim AS app
FROM --platform=$BUILDPLATFORM golang:1.22 AS tools
FROM alpine:3.20
EXPOSE 80/tcp 443/tcp 53/udp 8080
RUN apk add --no-cache \
    curl \
    # a comment after the empty line stays
    jq \
    git
COPY --from=app /usr/local /usr/local
