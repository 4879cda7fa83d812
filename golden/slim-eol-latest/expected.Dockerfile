FROM centos:7 AS legacy
RUN yum install -y make
FROM node AS assets
RUN npm ci
FROM python:2.7-slim
COPY --from=assets /app /app
CMD ["python", "/app/run.py"]
