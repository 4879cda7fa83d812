FROM --platform=$BUILDPLATFORM python:3.10-alpine AS builder
RUN python3 -m venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"

WORKDIR /src
COPY requirements.txt /src
RUN --mount=type=cache,target=/root/.cache/pip \
    pip3 install -r requirements.txt

FROM --platform=$BUILDPLATFORM python:3.10-alpine
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
WORKDIR /src
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /src /src
RUN addgroup -S -g 10001 app \
    && adduser -S -D -H -u 10001 -G app -h /home/app -s /sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app
USER 10001:10001
