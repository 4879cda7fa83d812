FROM python:3.11
WORKDIR /src
COPY . .
RUN gcc -O2 -shared -o libfast.so fast.c && pip install .
CMD ["python", "-m", "app"]
