FROM python:3.12 AS build
WORKDIR /app
COPY requirements.txt .
RUN pip wheel -r requirements.txt -w /wheels

FROM python:3.12-slim
COPY --from=build /wheels /wheels
RUN pip install /wheels/*
CMD ["python", "-m", "flask", "run"]
