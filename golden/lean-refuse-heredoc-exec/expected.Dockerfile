# syntax=docker/dockerfile:1
FROM debian:bookworm
RUN <<EOF
apt-get update
apt-get install -y curl
EOF
RUN ["pip", "install", "flask"]
RUN ["/bin/sh", "-c", "apt-get update && apt-get install -y git"]
CMD ["bash"]
