FROM golang:1.22 AS builder
ENV CGO_ENABLED=0
WORKDIR /src
COPY go.mod ./
RUN go mod download
COPY . .
RUN go build -o /out/hello .

FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /src
COPY --from=builder /out/hello /out/hello
EXPOSE 8080
ENTRYPOINT ["/out/hello"]
