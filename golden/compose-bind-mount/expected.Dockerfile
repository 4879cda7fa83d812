# compose binds host folders: the image cannot own them, a finding names the uid
FROM python:3.12-slim
WORKDIR /srv/notes
COPY app.py .
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app \
    && chown 10001:10001 /srv/notes
USER 10001:10001
EXPOSE 8000
CMD ["python", "app.py"]
