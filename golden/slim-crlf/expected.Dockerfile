FROM ruby:3.3-slim
WORKDIR /app
RUN apt-get update \
    && apt-get install -y --no-install-recommends wget ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN wget -q https://example.com/x.tgz
CMD ["ruby", "app.rb"]
