FROM python:3.12
RUN apt-get update && apt-get install -y libfrobnicate-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
CMD ["python", "main.py"]
