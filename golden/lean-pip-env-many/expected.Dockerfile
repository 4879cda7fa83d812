FROM python:3.11-slim AS app
ENV PIP_NO_CACHE_DIR=1
RUN pip install flask
RUN pip install gunicorn && \
    pip3 install -r requirements.txt
RUN ["pip", "install", "httpx"]
FROM app
RUN pip install uvicorn
CMD ["python3"]
