FROM maven:3.8-eclipse-temurin-17 AS builder
WORKDIR /usr/src/app
COPY pom.xml .
COPY src ./src
RUN mvn -B -DskipTests package

FROM eclipse-temurin:17-jre
WORKDIR /usr/src/app
COPY --from=builder /usr/src/app/target/inventory-service.jar /usr/src/app/target/inventory-service.jar
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app \
    && chown 10001:10001 /usr/src/app
USER 10001:10001
EXPOSE 8080
CMD java -jar target/*.jar
