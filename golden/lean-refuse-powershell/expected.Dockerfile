FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS win
SHELL ["powershell", "-Command"]
RUN choco install -y git; pip install flask
FROM debian:bookworm
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update && apt-get install -y curl | tee /tmp/log && rm -rf /var/lib/apt/lists/*
