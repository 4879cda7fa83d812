FROM golang:1.22 AS builder
WORKDIR /src
COPY . .
RUN --mount=type=cache,from=builder,source=/go,target=/go/pkg go build -o /out/app .

FROM builder AS tester
RUN go test ./...

FROM alpine:3.20 AS Dup
RUN echo one

FROM alpine:3.20 AS dup
RUN echo two

FROM gcr.io/distroless/static-debian12
COPY --from=builder /out/app /app
COPY --from=tester /src/report.txt /report.txt
ENTRYPOINT ["/app"]
