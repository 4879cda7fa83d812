FROM python:3.12-slim AS base
# the first command, replaced below
CMD ["python", "-m", "http.server"]
HEALTHCHECK --interval=30s CMD ["python", "-c", "print(1)"]
ENTRYPOINT ["/usr/bin/tini", "--"]

FROM base
CMD ["python", "app.py"]
