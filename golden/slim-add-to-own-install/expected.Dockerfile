# syntax=docker/dockerfile:1
FROM python:3.12-slim AS app
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpq5 git ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN git clone --depth 1 https://github.com/example/plugins.git /opt/plugins
COPY . /app
CMD ["python", "/app/main.py"]
