FROM debian:bookworm-slim
RUN useradd --system appuser
USER appuser
CMD ["sleep", "infinity"]
