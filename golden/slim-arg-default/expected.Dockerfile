ARG PYTHON_VERSION=3.12-slim
ARG BASE=debian:bookworm-slim
FROM --platform=$BUILDPLATFORM python:${PYTHON_VERSION} AS build
RUN pip wheel --wheel-dir /wheels flask
FROM ${BASE} AS runtime
COPY --from=build /wheels /wheels
CMD ["/bin/true"]
