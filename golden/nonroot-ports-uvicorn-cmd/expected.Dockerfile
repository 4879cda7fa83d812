FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:80/')"
CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "80"]
