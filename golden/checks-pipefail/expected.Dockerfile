FROM debian:bookworm AS fetch
RUN apt-get update && apt-get install -y curl
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN curl -fsSL https://example.com/install.sh | sh

FROM fetch AS child
RUN curl -fsSL https://example.com/x | tar -xz

FROM alpine:3.20 AS musl
RUN wget -qO- https://example.com/x | tar -xz

FROM alpine:3.20 AS with-bash
RUN apk add --no-cache bash curl
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN curl -fsSL https://example.com/x | tar -xz

FROM debian:bookworm AS already
RUN set -o pipefail && curl -fsSL https://example.com/x | tar -xz

FROM ubuntu:24.04
SHELL ["/bin/sh", "-c"]
RUN curl -fsSL https://example.com/x | tar -xz
