FROM python:3.11 AS build
RUN --mount=type=cache,target=/root/.cache/pip pip install --prefix=/install flask
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt/lists,sharing=locked apt-get update && apt-get install -y build-essential
FROM node:18 AS assets
RUN --mount=type=cache,target=/root/.npm npm ci && npm run build
FROM python:3.11-slim
COPY --from=build /install /usr/local
COPY --from=assets /dist /app/static
RUN pip install --no-cache-dir gunicorn
CMD ["gunicorn", "app:app"]
