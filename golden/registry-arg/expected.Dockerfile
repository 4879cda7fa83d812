ARG BASE_IMAGE=mirror.example.com:5000/library/python:3.12-slim
ARG NODE_VERSION=22
ARG CUSTOM
FROM mirror.example.com:5000/library/node:${NODE_VERSION}-slim AS assets
FROM ${BASE_IMAGE}
FROM $CUSTOM AS extra
