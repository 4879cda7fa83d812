# A CLI tool with a compiled dependency (psycopg2 builds against libpq).
FROM python:3.11 AS builder
RUN python3 -m venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"

# Headers and compilers for psycopg2.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libpq-dev \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY cli.py .

FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 \
    && rm -rf /var/lib/apt/lists/*
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
ENV PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /src /src
LABEL org.opencontainers.image.title="pg-cli"
CMD ["python", "cli.py"]
