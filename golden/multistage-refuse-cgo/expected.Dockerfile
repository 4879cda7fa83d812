FROM golang:1.22
WORKDIR /src
COPY . .
RUN go build -o /usr/local/bin/sq .
ENTRYPOINT ["/usr/local/bin/sq"]
