ARG PYTHON_VERSION=3.12
ARG VARIANT=slim
FROM python:${PYTHON_VERSION}-${VARIANT}
COPY . /app
RUN pip install --no-cache-dir /app
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app
USER 10001:10001
CMD ["myapp"]
