# syntax=docker/dockerfile:1
ARG BASE=debian
ARG ALPINE_VERSION=3.20
ARG VERSION
ARG RUNTIME_IMAGE
# the builder: its base image comes from build arguments
FROM ${BASE}:${VERSION} AS build
RUN echo hi

FROM alpine:${ALPINE_VERSION} AS tools
ARG ALPINE_VERSION=3.20
RUN echo "$ALPINE_VERSION"

FROM --platform=$BUILDPLATFORM $RUNTIME_IMAGE
COPY --from=build /etc/hostname /x
