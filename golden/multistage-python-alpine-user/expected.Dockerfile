FROM python:3.12-alpine3.20 AS builder
RUN python3 -m venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
RUN apk add --no-cache build-base postgresql-dev libffi-dev
RUN addgroup -S web && adduser -S -G web web
WORKDIR /home/web/app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY --chown=web:web . .

FROM python:3.12-alpine3.20
RUN apk add --no-cache libpq libffi
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
RUN addgroup -S web && adduser -S -G web web
WORKDIR /home/web/app
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder --chown=web:web /home/web/app /home/web/app
USER web
CMD ["python", "main.py"]
