# Django that runs its migrations at build time (issue 24): LOGGING writes django.log and the
# sqlite database is db.sqlite3, both in the app folder and both created root-owned by the
# RUN: they are made the user's own by name, where they exist, not with chown -R
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN python manage.py migrate --noinput
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app \
    && chown 10001:10001 /app \
    && for f in /app/db.sqlite3 /app/django.log; do if [ -e "$f" ]; then chown 10001:10001 "$f"; fi; done
USER 10001:10001
EXPOSE 8000
CMD ["python", "manage.py", "runserver", "0.0.0.0:8000"]
