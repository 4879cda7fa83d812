FROM python:3.12-slim AS base
RUN useradd --system --uid 2000 svc
USER svc

FROM base
COPY app.py /app/app.py
CMD ["python", "/app/app.py"]
