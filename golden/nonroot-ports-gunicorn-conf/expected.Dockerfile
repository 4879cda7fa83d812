FROM python:3.11-slim
WORKDIR /srv
COPY . .
RUN pip install --no-cache-dir gunicorn flask
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app
USER 10001:10001
EXPOSE 8080
CMD ["gunicorn", "-c", "gunicorn.conf.py", "app:app"]
