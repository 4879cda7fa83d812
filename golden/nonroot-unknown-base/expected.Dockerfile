FROM registry.example.com/platform/base:2.1
COPY app /usr/local/bin/app
USER 10001:10001
CMD ["app"]
