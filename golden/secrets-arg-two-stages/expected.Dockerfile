# A Go service whose modules come from private GitHub repositories.
ARG GO_VERSION=1.19

FROM golang:${GO_VERSION} AS build
ENV GOPRIVATE=github.com/example/*
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=secret,id=github_token export GITHUB_TOKEN="$(cat /run/secrets/github_token)" && git config --global url."https://x-access-token:${GITHUB_TOKEN}@github.com/".insteadOf "https://github.com/" \
    && go mod download \
    && git config --global --unset url."https://x-access-token:${GITHUB_TOKEN}@github.com/".insteadOf
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app

FROM debian:bookworm-slim
ARG RELEASE=dev
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*
RUN --mount=type=secret,id=github_token export GITHUB_TOKEN="$(cat /run/secrets/github_token)" && curl -fsSL -H "Authorization: Bearer $GITHUB_TOKEN" -o /usr/local/share/licenses.txt \
      "https://raw.githubusercontent.com/example/licenses/${RELEASE}/LICENSES.txt"
COPY --from=build /out/app /usr/local/bin/app
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/app"]
