# Already on the slim image, pure-Python dependencies only: a builder + runtime split would
# copy a venv (with its own pip and setuptools) and make the image larger.
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
EXPOSE 8000
CMD ["python", "app.py"]
