FROM alpine:3.20
LABEL org.opencontainers.image.authors="Jane Doe <jane@example.com>"
RUN echo hi

FROM alpine:3.20 AS second
LABEL org.opencontainers.image.authors="\"Quoted\" Name \$HOME"
MAINTAINER split \
  over lines
