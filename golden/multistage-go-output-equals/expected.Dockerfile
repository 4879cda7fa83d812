FROM golang:1.19 AS builder
ENV CGO_ENABLED=0
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o=/usr/local/bin/greeter-api .

FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /src
COPY --from=builder /usr/local/bin/greeter-api /usr/local/bin/greeter-api
ENTRYPOINT ["/usr/local/bin/greeter-api"]
