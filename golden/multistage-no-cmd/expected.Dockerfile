FROM --platform=$BUILDPLATFORM python:3.10-alpine AS builder

WORKDIR /src
COPY requirements.txt /src
RUN --mount=type=cache,target=/root/.cache/pip \
    pip3 install -r requirements.txt
RUN addgroup -S -g 10001 app \
    && adduser -S -D -H -u 10001 -G app -h /home/app -s /sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app \
    && chown 10001:10001 /src
USER 10001:10001
