# syntax=docker/dockerfile:1
ARG BASE=debian
ARG VERSION
ARG RUNTIME_IMAGE
# the builder: its base image comes from build arguments
FROM ${BASE}:${VERSION} AS build
RUN echo hi

FROM --platform=$BUILDPLATFORM $RUNTIME_IMAGE
COPY --from=build /etc/hostname /x
