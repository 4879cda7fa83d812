FROM registry.example.com/mcr/dotnet/sdk:9.0 AS build
RUN dotnet publish -c Release -o /out
FROM registry.example.com/ghcr/example/base:1.4 AS base
FROM quay.io/prometheus/busybox:latest AS tools
FROM registry.example.com/dockerhub/library/debian:bookworm-slim
COPY --from=build /out /app
