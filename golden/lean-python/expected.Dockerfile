FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --upgrade pip \
 && pip3 install -r requirements.txt
RUN python3 -m pip install gunicorn==22.0.0 && pip install --no-cache-dir flask
RUN pip install uv && uv pip install --no-cache --system httpx && uv sync --no-cache --frozen
RUN pip install --no-cache-dir poetry && poetry install --no-root && rm -rf "${POETRY_CACHE_DIR:-$HOME/.cache/pypoetry}/cache" "${POETRY_CACHE_DIR:-$HOME/.cache/pypoetry}/artifacts"
CMD ["python3"]
