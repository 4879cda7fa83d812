FROM maven:3.9-eclipse-temurin-17 AS builder
WORKDIR /build
COPY pom.xml .
RUN mvn -B dependency:go-offline
COPY src ./src
RUN mvn -B -DskipTests package

FROM eclipse-temurin:17-jre
WORKDIR /build
COPY --from=builder /build/target/orders-1.2.0.jar /build/target/orders-1.2.0.jar
EXPOSE 8080
CMD ["java", "-jar", "target/orders-1.2.0.jar"]
