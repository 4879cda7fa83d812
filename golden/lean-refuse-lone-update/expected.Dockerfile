FROM debian:bookworm
RUN apt-get update
COPY sources.list /etc/apt/sources.list
RUN apt-get install -y curl
FROM debian:bookworm
RUN apt-get update
RUN ["apt-get", "install", "-y", "git"]
