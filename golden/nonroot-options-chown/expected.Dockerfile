FROM python:3.12-slim
WORKDIR /srv
COPY --chown=2000:3000 requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
ADD --chown=2000:3000 --chmod=644 settings.ini /srv/settings.ini
COPY --chown=2000:3000 . .
RUN groupadd --system --gid 3000 svc \
    && useradd --system --no-log-init --uid 2000 --gid 3000 --no-create-home --home-dir /home/svc --shell /usr/sbin/nologin svc \
    && mkdir -p /home/svc \
    && chown 2000:3000 /home/svc
USER 2000:3000
CMD ["python", "main.py"]
