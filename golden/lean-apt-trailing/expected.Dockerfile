FROM debian:bookworm
# refresh the index
ENV TZ=UTC
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
RUN apt-get update && \
    apt-get install -y \
      git \
      wget && \
    rm -rf /var/lib/apt/lists/*
CMD ["bash"]
