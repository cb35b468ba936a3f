# syntax=docker/dockerfile:1
#
# One file, four images (pick one with --target; compose.yaml names them):
#   app              the Python processes: `shop serve command|query`, `shop worker`
#   stripe-emulator  app + localstripe, for the dev/test profile only
#   gateway          nginx: method-based routing to the APIs + the built storefront
# The `frontend` and `python-build` stages only produce artefacts for the others.

# --- storefront: npm ci && npm run build -> /src/frontend/dist --------------------------------
FROM node:20-slim AS frontend
WORKDIR /src/frontend
# Lock files first, so the dependency layer survives source edits.
COPY frontend/package.json frontend/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# --- Python build: the project and its runtime dependencies in a venv (no dev extras) ----------
FROM python:3.11-slim AS python-build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml ./
COPY domain/ domain/
COPY application/ application/
COPY command_api/ command_api/
COPY query_api/ query_api/
COPY projections/ projections/
COPY workers/ workers/
COPY infra/ infra/
COPY web/ web/
COPY entrypoints/ entrypoints/
# A regular (non-editable) install: the runtime image needs only the venv, not /src.
RUN --mount=type=cache,target=/root/.cache/pip pip install .

# --- app: runtime for the APIs and the worker ---------------------------------------------------
FROM python:3.11-slim AS app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 shop \
    && useradd --system --uid 10001 --gid shop --home-dir /app --shell /usr/sbin/nologin shop
COPY --from=python-build /opt/venv /opt/venv
WORKDIR /app
# var/ is where the embedded (sqlite) defaults would write; compose points at real stores.
RUN mkdir -p /app/var && chown shop:shop /app/var
USER shop
EXPOSE 8001 8002
# compose.yaml chooses the process per service; this default is the command API.
CMD ["shop", "serve", "command", "--host", "0.0.0.0", "--port", "8001"]

# --- stripe-emulator: localstripe on top of app (dev/test only, never in production) -----------
FROM app AS stripe-emulator
USER root
# Same pin as the dev extra in pyproject.toml; installed alone to keep playwright & co. out.
RUN --mount=type=cache,target=/root/.cache/pip \
    PIP_DISABLE_PIP_VERSION_CHECK=1 pip install "localstripe>=1.15.10,<2"
USER shop
EXPOSE 8420
CMD ["shop", "stripe-emulator", "--port", "8420"]

# --- gateway: nginx with the storefront --------------------------------------------------------
FROM nginx:1.27-alpine AS gateway
COPY deploy/nginx.conf /etc/nginx/nginx.conf
COPY --from=frontend /src/frontend/dist /usr/share/nginx/html
EXPOSE 8000
