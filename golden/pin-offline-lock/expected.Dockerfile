ARG BASE=python:3.11-slim@sha256:afa804b32a5659800b5b5ee2ac12faa02de2dcdf45a7ba38ab2cb76f633397c4
FROM --platform=$BUILDPLATFORM debian:bookworm-slim@sha256:d561a63f2eee6361ed5125b674f5d878a8bd5fdeec6a878ea0a1616040531a3c AS fetch
RUN echo fetch
FROM fetch AS again
FROM scratch AS empty
FROM ${BASE} AS app
COPY --from=fetch /etc/os-release /os-release
CMD ["python"]
