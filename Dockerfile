# Pinned, so a rebuild gets the Python the image was tested with; raise it deliberately.
FROM python:3.11.13-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never

RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project

COPY bot.py cli.py ./
COPY cogs ./cogs
COPY imagegen ./imagegen

# /app/data belongs to the bot's user: a new named volume mounted there (compose.yaml) starts as a copy of it, owner
# included, so the bot can write its database and results.
RUN useradd --create-home --uid 10001 bot && mkdir -p /app/data && chown bot /app/data
USER bot

# With METRICS_PORT set, the orchestrator restarts the bot when /healthz stops answering (the event loop is stuck).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD [ -z "$METRICS_PORT" ] || python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['METRICS_PORT'] + '/healthz', timeout=4)"

# Settings come from the environment (compose passes .env); nothing secret is baked into the image.
CMD ["uv", "run", "--no-sync", "bot.py"]
