FROM --platform=$BUILDPLATFORM registry.example.com/dockerhub/library/golang:1.25 AS build
WORKDIR /src
COPY . .
RUN go build -o /out/app .
FROM build AS test
RUN go test ./...
FROM registry.example.com/dockerhub/library/alpine:3.22@sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1
COPY --from=build /out/app /app
COPY --from=registry.example.com/dockerhub/library/busybox:1.36 /bin/busybox /busybox
ENTRYPOINT ["/app"]
