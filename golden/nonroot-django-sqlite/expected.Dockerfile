# Django with the default sqlite database in its folder and a file LOGGING handler.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1
WORKDIR /code
COPY requirements.txt /code/
RUN pip install --no-cache-dir -r requirements.txt
COPY . /code/
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app \
    && chown 10001:10001 /code /code/db.sqlite3 \
    && chown -R 10001:10001 /code/logs /code/media
USER 10001:10001
EXPOSE 8000
CMD ["python", "manage.py", "runserver", "0.0.0.0:8000"]
