# syntax=docker/dockerfile:1
FROM debian:bookworm
RUN <<EOF
apt-get update
apt-get install -y curl && rm -rf /var/lib/apt/lists/*
EOF
RUN <<EOT bash
  set -eux
  pip install --no-cache-dir flask
EOT
RUN <<-EOF
	apt-get update && apt-get install -y git
EOF
RUN cat <<EOF > /usr/local/bin/setup.sh
apt-get install -y jq
EOF
RUN ["pip", "install", "flask"]
RUN ["/bin/sh", "-c", "apt-get update && apt-get install -y git"]
CMD ["bash"]
