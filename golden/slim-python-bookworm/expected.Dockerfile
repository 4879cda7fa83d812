FROM python:3.11-slim-bookworm
WORKDIR /app
COPY app.py .
CMD ["python", "app.py"]
