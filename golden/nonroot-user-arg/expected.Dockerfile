FROM debian:bookworm-slim
ARG APP_USER
USER ${APP_USER}
CMD ["id"]
