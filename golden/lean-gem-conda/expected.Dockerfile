FROM ruby:3.3-slim AS ruby
RUN gem install --no-document bundler -v 2.5.6 && gem install rails --no-document
FROM continuumio/miniconda3:24.1.2-0
RUN conda install -y -c conda-forge numpy && conda clean -afy
RUN conda env create -f environment.yml && mamba install -y pandas && mamba clean -afy
