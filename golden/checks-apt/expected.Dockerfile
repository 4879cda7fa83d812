FROM ubuntu:24.04
RUN apt-get update && apt-get install -y --no-install-recommends curl=8.5.0-2ubuntu10 \
    && apt upgrade -y \
    && apt list --installed \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*
RUN DEBIAN_FRONTEND=noninteractive apt -y install git && apt-get remove -y nano
RUN ["apt", "install", "-y", "vim"]
RUN sudo apt-get purge -y vim; echo apt install
