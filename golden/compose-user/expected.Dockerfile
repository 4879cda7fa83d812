# compose runs the service as 1000:1000: that is the user the image gets, not a second one
FROM python:3.12-slim
WORKDIR /srv/notes
COPY app.py .
RUN groupadd --system --gid 1000 app \
    && useradd --system --no-log-init --uid 1000 --gid 1000 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app /srv/notes/data \
    && chown 1000:1000 /home/app /srv/notes/data \
    && chown 1000:1000 /srv/notes
USER 1000:1000
EXPOSE 8000
CMD ["python", "app.py"]
