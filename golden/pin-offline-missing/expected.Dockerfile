FROM python:3.11-slim
FROM node:22-slim
