FROM python:3.12
WORKDIR /app
COPY . .
RUN pip install --user -r requirements.txt
CMD ["python", "app.py"]
