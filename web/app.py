"""The base of both FastAPI apps: shared services, error handling, CORS, operational routes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel
from starlette.types import Lifespan

from infra.health import Probes, probe_all, thread_probes
from infra.services import Services
from web.body_limits import BodyLimitMiddleware, BodyLimits
from web.deadline import RequestDeadlineMiddleware
from web.errors import ERROR_RESPONSES, install_error_handlers
from web.headers import POSITION_HEADER
from web.metrics import MetricsMiddleware, metrics_router
from web.rate_limits import RateLimits
from web.readiness import ReadinessMiddleware
from web.response_headers import ResponseHeadersMiddleware


# async: a plain `def` dependency would cost every request a trip through the thread pool.
async def services_of(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(services_of)]


def create_base_app(
    title: str,
    services: Services,
    probes: Probes | None = None,
    lifespan: Lifespan[Any] | None = None,
    *,
    metrics_name: str = "api",
) -> FastAPI:
    """A FastAPI app with the shop's error handling, CORS, metrics and operational routes.

    `probes` check the stores for /healthz (by default the blocking clients of `services`,
    each in a thread); `lifespan` opens and closes what the app holds beyond `services`;
    `metrics_name` labels its requests in /metrics ("command", "query").
    """
    app = FastAPI(title=title, responses=ERROR_RESPONSES, lifespan=lifespan)
    app.state.services = services
    services.access.start()  # the auth dependencies read it (idempotent: apps may share it)
    app.state.probes = probes if probes is not None else thread_probes(services)
    settings = services.settings
    app.state.rate_limits = RateLimits(settings)
    # Innermost first: the body limit, then the deadline, CORS, and the headers on everything.
    app.add_middleware(
        BodyLimitMiddleware,
        limits=BodyLimits(
            settings.max_body_bytes, settings.max_webhook_body_bytes, settings.max_upload_body_bytes
        ),
    )
    app.add_middleware(RequestDeadlineMiddleware, timeout=settings.request_timeout)
    app.add_middleware(ReadinessMiddleware, ready=services.ready)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "Idempotency-Key",
                POSITION_HEADER,
            ],
            expose_headers=[POSITION_HEADER, "ETag", "Location", "Retry-After"],
            allow_credentials=True,  # the refresh cookie (POST /auth/refresh)
        )
    app.add_middleware(ResponseHeadersMiddleware)
    install_error_handlers(app)
    app.add_middleware(MetricsMiddleware, app_name=metrics_name)
    app.include_router(ops_router)
    app.include_router(metrics_router)
    return app


# -- operations ------------------------------------------------------------------------------

ops_router = APIRouter(tags=["operations"])


class HealthOut(BaseModel):
    status: str
    checks: dict[str, str]


@ops_router.get("/ping", response_model=str)
async def ping() -> str:
    return "pong"


@ops_router.get("/healthz", response_model=HealthOut, responses={503: {"model": HealthOut}})
async def healthz(request: Request, response: Response) -> HealthOut:
    """Every store probed at once, each for at most 1 s: a hung store is named, not waited on."""
    checks = await probe_all(request.app.state.probes())
    healthy = all(value in ("ok", "not configured") for value in checks.values())
    response.status_code = 200 if healthy else 503
    return HealthOut(status="ok" if healthy else "degraded", checks=checks)
