FROM python:3.11 AS builder
RUN python3 -m venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
 
WORKDIR /app
	
COPY requirements.txt .
   
RUN pip install --no-cache-dir -r requirements.txt
 	 
COPY . .

FROM python:3.11-slim
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
CMD ["python", "app.py"]
