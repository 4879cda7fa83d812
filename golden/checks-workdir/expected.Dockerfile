FROM python:3.12-slim AS app
WORKDIR /app
WORKDIR /app/lib
WORKDIR /srv
WORKDIR /srv/data

FROM golang:1.22 AS go
WORKDIR /go/src/app

FROM example.com/unknown:1 AS unknown
WORKDIR app

FROM app AS child
WORKDIR /srv/data/more

FROM httpd:2.4
WORKDIR $HTTPD_PREFIX
WORKDIR htdocs
