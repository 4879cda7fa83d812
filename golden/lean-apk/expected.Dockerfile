FROM alpine:3.19
RUN apk add --no-cache curl \
    && apk add --no-cache --virtual .build-deps gcc
RUN apk add --no-cache git
RUN apk upgrade --no-cache
CMD ["sh"]
