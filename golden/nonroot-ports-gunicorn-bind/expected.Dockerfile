FROM python:3.11-slim
WORKDIR /usr/local/app
COPY requirements.txt ./requirements.txt
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
ENV PORT=8080
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app \
    && chown 10001:10001 /usr/local/app
USER 10001:10001
EXPOSE 8080
CMD gunicorn app:app -b 0.0.0.0:$PORT --log-file - --access-logfile - --workers 4 --keep-alive 0
