# The mediacheck pre-flight service: `docker build -t mediacheck .` then
# `docker run -p 8000:8000 -e MEDIACHECK_API_KEYS=... mediacheck`. See docs/service.md.
#
# tests/deploy/test_dockerfile.py replays these instructions without docker (each stage in a fresh venv, the
# runtime user in a private /etc, the service in its own network namespace), so keep to the instructions it
# knows and to RUN commands with paths relative to WORKDIR.

# Stage 1: build the wheel from the source tree (.dockerignore keeps tests, venvs and caches out).
FROM python:3.11-slim AS wheel
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir dist .

# Stage 2: the runtime image holds the installed wheel and its dependencies, no source, no build tools.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /app
COPY --from=wheel /src/dist/ dist/
# The audio extra brings an ffmpeg (imageio-ffmpeg) for the deep check; /readyz reports it.
RUN pip install --no-cache-dir "$(ls dist/mediacheck-*.whl)[service,audio]" && rm -r dist
# A fixed numeric uid, so Kubernetes' runAsNonRoot can verify the image without resolving names.
RUN groupadd --system --gid 10001 mediacheck && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin mediacheck
USER 10001:10001
EXPOSE 8000
# python:slim has no curl: the probe is Python's urllib against /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["mediacheck", "serve", "--host", "0.0.0.0", "--port", "8000"]
