FROM golang:1.22 AS builder
RUN go version > /v

FROM builder AS test
RUN cat /v

FROM rust:1.77 AS builder-2
RUN cargo --version > /v

FROM alpine:3.20 AS scratch-2
RUN echo hi > /hi

FROM builder-2 AS builder-3
RUN true

FROM scratch
COPY --from=builder-3 /v /v
COPY --from=scratch-2 /hi /hi
