# A project that already runs as its own user, on the full image: the split pays (the slim
# runtime), and the user is created once, in the stage that runs.
FROM python:3.11 AS builder
RUN python3 -m venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .

FROM python:3.11-slim
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
WORKDIR /app

# the app's own user
RUN useradd --create-home appuser
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
USER appuser
CMD ["python", "app.py"]
