FROM python:3.11-slim
WORKDIR /app
RUN pip install --no-cache-dir gunicorn flask
COPY app.py .
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app \
    && chown 10001:10001 /app
USER 10001:10001
HEALTHCHECK --interval=30s CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8080/healthz')"]
CMD ["gunicorn", "-b", ":8080", "--workers", "2", "app:app"]
