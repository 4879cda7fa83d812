# A Go service that creates its folders with RUN mkdir before building (issue 24): the
# folders carry over to the distroless runtime (WORKDIR creates the app folder, COPY --from
# the data folder), no RUN there
FROM golang:1.22 AS builder
ENV CGO_ENABLED=0
RUN mkdir -p /app /var/lib/hello
WORKDIR /app
COPY go.mod ./
RUN go mod download
COPY . .
RUN go build -o /app/hello .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=builder /var/lib/hello /var/lib/hello
WORKDIR /app
COPY --from=builder /app/hello /app/hello
EXPOSE 8080
ENTRYPOINT ["/app/hello"]
