# A relative WORKDIR (issue 24): it resolves against the previous one (here the image's, /),
# and the runtime stage gets the absolute path
FROM python:3.11 AS builder
RUN python3 -m venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
WORKDIR app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN mkdir -p media

FROM python:3.11-slim
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
WORKDIR /app
RUN mkdir -p media
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app \
    && chown 10001:10001 /app
USER 10001:10001
EXPOSE 5000
CMD ["python", "app.py"]
