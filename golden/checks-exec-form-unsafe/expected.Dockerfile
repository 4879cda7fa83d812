FROM python:3.12-slim AS web
WORKDIR /app
CMD ["python", "-m", "http.server", "8000"]

FROM python:3.12-slim AS env
CMD ["/bin/sh", "-c", "exec python -m http.server $PORT"]

FROM python:3.12-slim AS chained
CMD ["/bin/sh", "-c", "cd /app && exec python app.py --port 8000"]

FROM python:3.12-slim AS piped
CMD python app.py | tee /tmp/log

FROM node:20-slim AS node
CMD ["node", "server.js"]

FROM example.com/unknown:1 AS unknown
CMD ["serve", "--port", "80"]

FROM python:3.12-slim AS entry
ENTRYPOINT ["python"]
CMD ["app.py"]

FROM python:3.12-slim AS entry-alone
ENTRYPOINT ["/usr/local/bin/gunicorn", "app:app"]

FROM python:3.12-slim AS with-entrypoint
ENTRYPOINT ["tini", "--"]
CMD ["python", "app.py"]

FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-Command"]
CMD Write-Host hi
