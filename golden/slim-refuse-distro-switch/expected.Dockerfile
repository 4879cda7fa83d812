FROM openjdk:11
RUN apt-get update && apt-get install -y --no-install-recommends fontconfig && rm -rf /var/lib/apt/lists/*
COPY app.jar /app.jar
ENTRYPOINT ["java", "-jar", "/app.jar"]
