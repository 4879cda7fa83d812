# A Go service that compiles at start: the build cache is under $HOME.
FROM golang:1.19
WORKDIR /go/src/app
COPY . .
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app \
    && chown 10001:10001 /go/src/app
USER 10001:10001
EXPOSE 8080
CMD ["go", "run", "main.go"]
