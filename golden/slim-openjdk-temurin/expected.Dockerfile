FROM maven:3.9-eclipse-temurin-17 AS build
COPY . /src
RUN mvn -f /src/pom.xml package
FROM eclipse-temurin:17-jre
COPY --from=build /src/target/app.jar /app.jar
ENTRYPOINT ["java", "-jar", "/app.jar"]
