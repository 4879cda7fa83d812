# A Python service that installs from a private index; without --unsafe-fixes the fix is
# reported and held back.
FROM python:3.11-slim
ARG PIP_EXTRA_INDEX_URL
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
CMD ["python", "-m", "app"]
