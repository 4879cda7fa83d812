FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app \
    && chown 10001:10001 /app
USER 10001:10001
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:8080/')"
CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8080"]
