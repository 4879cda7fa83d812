FROM golang:1.19 AS builder
ENV CGO_ENABLED=0
WORKDIR /go/src/greeter
COPY . .
# go names the binary after the package's folder: ./api
RUN go build ./cmd/api

FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /go/src/greeter
COPY --from=builder /go/src/greeter/api /go/src/greeter/api
EXPOSE 8080
CMD ["./api"]
