FROM golang:1.19 AS builder
ENV CGO_ENABLED=0
WORKDIR /app
COPY . .
RUN go build

FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /app
COPY --from=builder /app/tool /app/tool
CMD ["/app/tool"]
