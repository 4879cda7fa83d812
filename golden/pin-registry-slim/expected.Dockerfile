FROM registry.example.com/dockerhub/library/python:3.11-slim@sha256:afa804b32a5659800b5b5ee2ac12faa02de2dcdf45a7ba38ab2cb76f633397c4
CMD ["python", "-m", "http.server", "8000"]
