# escape=`
FROM debian:bookworm-slim
ENV GREETING="hello world"
ENV WINPATH=C:\app
EXPOSE 80/tcp
RUN apt-get update && `
    apt-get install -y curl
CMD python3 -m http.server
