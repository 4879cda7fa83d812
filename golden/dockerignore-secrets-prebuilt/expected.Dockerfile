# A Java service that copies a jar built outside Docker, with secrets lying in its context.
FROM eclipse-temurin:21-jre
ARG DB_PASSWORD
ARG APP_VERSION=1.0
ENV API_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789AB
ENV JAVA_OPTS="-Xmx512m"
WORKDIR /app
COPY target/*.jar app.jar
COPY config/ ./config/
COPY certs/client.pem /etc/ssl/client.pem
COPY . /src
RUN --mount=type=bind,source=scripts/check.sh,target=/check.sh sh /check.sh
CMD ["java", "-jar", "app.jar"]
