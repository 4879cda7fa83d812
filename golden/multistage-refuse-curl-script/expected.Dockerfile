FROM python:3.12
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
RUN curl -fsSL https://example.com/install.sh | sh
CMD ["python", "app.py"]
