FROM golang:1.22-alpine AS build
COPY . /src
RUN cd /src && go build -o /app .

FROM scratch
COPY --from=build /app /app
USER 10001:10001
ENTRYPOINT ["/app"]
