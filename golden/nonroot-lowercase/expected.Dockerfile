from python:3.12-slim
run pip install --no-cache-dir flask
run groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app
user 10001:10001
cmd ["flask", "run"]
