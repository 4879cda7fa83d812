FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 UV_NO_CACHE=1
RUN pip install flask && uv pip install --system httpx
CMD ["python3"]
