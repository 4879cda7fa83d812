FROM debian:bookworm AS base
RUN apt-get update && apt-get install -y curl
FROM base AS tools
RUN apt-get install -y jq
FROM base
COPY --from=tools /usr/bin/jq /usr/bin/jq
CMD ["bash"]
