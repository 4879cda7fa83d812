# a base image for the team's Node services, written like node's official Dockerfile:
# it creates the node user, and never switches to it
FROM debian:bookworm-slim

RUN groupadd --gid 1000 node \
  && useradd --uid 1000 --gid node --shell /bin/bash --create-home node

RUN apt-get update \
  && apt-get install -y --no-install-recommends nodejs npm \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/app
COPY package.json server.js ./
RUN chown 1000:1000 /srv/app
USER 1000:1000
EXPOSE 3000
CMD ["node", "server.js"]
