# syntax=docker/dockerfile:1
ARG PYVER=3.10
FROM python:3.10-bullseye AS builder
RUN python3 -m venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"

ARG BUILD_DATE
ENV PYTHONUNBUFFERED=1

# lxml needs libxml2/libxslt headers; curl is for the health check
RUN apt-get update && apt-get install -y --no-install-recommends \
        build-essential libxml2-dev libxslt1-dev libffi-dev curl \
    && rm -rf /var/lib/apt/lists/*

RUN mkdir -p /var/lib/reporter

WORKDIR /srv/reporter
COPY . .
RUN pip install --no-cache-dir .
COPY conf/reporter.ini /etc/reporter/reporter.ini

FROM python:3.10-slim-bullseye
RUN apt-get update \
    && apt-get install -y --no-install-recommends libxml2 libxslt1.1 libffi7 curl \
    && rm -rf /var/lib/apt/lists/*
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
ARG BUILD_DATE
ENV PYTHONUNBUFFERED=1

RUN mkdir -p /var/lib/reporter

WORKDIR /srv/reporter
COPY conf/reporter.ini /etc/reporter/reporter.ini
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /srv/reporter /srv/reporter
LABEL maintainer="ops@example.com"
HEALTHCHECK CMD curl -fsS http://localhost:8000/ || exit 1
EXPOSE 8000
ENTRYPOINT ["reporter"]
CMD ["serve"]
