FROM debian:trixie-slim AS clean
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends ca-certificates; \
	apt-get dist-clean
FROM alpine:3.20
RUN apk add --no-cache --virtual .build-deps gcc \
    && apk add --no-network --virtual .run-deps musl \
    && apk del .build-deps
RUN npm install -g yarn && npm cache clear && yarn --version
