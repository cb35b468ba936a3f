# One file, three images (pick one with --target; compose.yaml names them):
#   app              the Python processes: `shop serve command|query`, `shop worker`
#   stripe-emulator  app + localstripe, for the dev/test profile only
#   gateway          nginx: HTTPS, method-based routing to the APIs, the built storefront
# The other stages only produce artefacts for these.
#
# Python dependencies come from uv.lock (hashes checked), never from a fresh resolution:
# `make lock` updates it. Keep UV_VERSION equal to the Makefile's.
# Plain Dockerfile syntax (no "# syntax=" line, no cache mounts), so any builder takes it:
# BuildKit without a registry, the legacy builder, a PaaS's build service.

ARG UV_VERSION=0.13.8

# --- storefront: npm ci && npm run build -> /src/frontend/dist --------------------------------
FROM node:20-slim AS frontend
WORKDIR /src/frontend
# Lock files first, so the dependency layer survives source edits.
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
# Precompress once here; the gateway serves the .gz files as they are (gzip_static).
RUN npm run build \
    && find dist -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' \
        -o -name '*.json' -o -name '*.map' -o -name '*.txt' \) -exec gzip -9 --keep {} +

# --- Python build: the locked runtime dependencies and the project in /opt/venv ---------------
FROM python:3.11-slim AS python-build
ARG UV_VERSION
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_SYSTEM_CERTS=1
# uv only builds; it never reaches a runtime image. Its own venv keeps the system Python clean.
RUN python -m venv /opt/uv && /opt/uv/bin/pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /src
COPY pyproject.toml uv.lock ./
# Dependencies first (a layer that survives source edits); --locked fails on a stale lock.
RUN /opt/uv/bin/uv sync --locked --no-dev --no-install-project --no-editable
COPY domain/ domain/
COPY application/ application/
COPY command_api/ command_api/
COPY query_api/ query_api/
COPY projections/ projections/
COPY workers/ workers/
COPY infra/ infra/
COPY web/ web/
COPY entrypoints/ entrypoints/
COPY migrations/ migrations/
# A regular (non-editable) install: the runtime image needs only the venv, not /src.
# --reinstall-package: uv keys a local project by pyproject.toml alone, so without it a
# cached build after a source edit could install the previously built wheel.
RUN /opt/uv/bin/uv sync --locked --no-dev --no-editable --reinstall-package order-platform

# The same venv plus the emulator extra (localstripe), for the dev-only emulator image.
FROM python-build AS emulator-build
RUN /opt/uv/bin/uv sync --locked --no-dev --no-editable --extra emulator

# --- app: runtime for the APIs and the worker ---------------------------------------------------
FROM python:3.11-slim AS app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HEALTHCHECK_URL=http://127.0.0.1:8001/healthz
RUN groupadd --system --gid 10001 shop \
    && useradd --system --uid 10001 --gid shop --home-dir /app --shell /usr/sbin/nologin shop
COPY --from=python-build /opt/venv /opt/venv
COPY deploy/healthcheck.py /opt/shop/healthcheck.py
WORKDIR /app
# var/ is where the embedded (sqlite) defaults would write; compose points at real stores.
# var/images is also the mount point of compose's images volume (a new volume takes its owner).
RUN mkdir -p /app/var/images && chown -R 10001:10001 /app/var
USER 10001:10001
EXPOSE 8001 8002 8003
# compose.yaml chooses the process per service and points HEALTHCHECK_URL at its port.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/opt/shop/healthcheck.py"]
CMD ["shop", "serve", "command", "--host", "0.0.0.0", "--port", "8001"]

# --- stripe-emulator: localstripe on top of app (dev/test only, never in production) -----------
FROM app AS stripe-emulator
COPY --from=emulator-build /opt/venv /opt/venv
ENV HEALTHCHECK_URL=http://127.0.0.1:8420/js.stripe.com/v3/
EXPOSE 8420
CMD ["shop", "stripe-emulator", "--host", "0.0.0.0", "--port", "8420"]

# --- gateway: nginx with the storefront, as an unprivileged user --------------------------------
FROM nginx:1.27-alpine AS gateway
COPY deploy/nginx.conf /etc/nginx/nginx.conf
COPY deploy/security-headers.conf /etc/nginx/security-headers.conf
COPY deploy/gateway-entrypoint.sh /usr/local/bin/gateway-entrypoint
COPY --from=frontend /src/frontend/dist /usr/share/nginx/html
# 101 is the official image's nginx user; nginx.conf writes only under /tmp/nginx.
USER 101:101
EXPOSE 8080 8443
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/gateway-healthz"]
ENTRYPOINT ["/usr/local/bin/gateway-entrypoint"]
CMD ["nginx", "-e", "stderr", "-g", "daemon off;"]
