FROM python:3.11 AS build
RUN pip install --prefix=/install flask
RUN apt-get update && apt-get install -y build-essential
FROM node:18 AS assets
RUN npm ci && npm run build
FROM python:3.11-slim
COPY --from=build /install /usr/local
COPY --from=assets /dist /app/static
RUN pip install --no-cache-dir gunicorn
CMD ["gunicorn", "app:app"]
