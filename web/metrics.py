"""Prometheus metrics of the HTTP side: request counts and latency per route template (never
the raw path: ids would make a series per order), and GET /metrics for the process."""

from __future__ import annotations

import time

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter(
    "shop_http_requests", "HTTP requests answered", ["app", "method", "route", "status"]
)
LATENCY = Histogram(
    "shop_http_request_duration_seconds",
    "Time from the request to the end of the response",
    ["app", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
UNMATCHED = "unmatched"  # 404s for paths no route knows: one series, whatever the path


class MetricsMiddleware:
    """Counts and times each HTTP request under its route's template (e.g. /orders/{order_id})."""

    def __init__(self, app: ASGIApp, app_name: str) -> None:
        self.app = app
        self.app_name = app_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless the app answers: an exception escaping is a 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope["method"]
            REQUESTS.labels(self.app_name, method, route, str(status)).inc()
            LATENCY.labels(self.app_name, method, route).observe(time.perf_counter() - started)


metrics_router = APIRouter(tags=["operations"])


def serve_metrics(host: str, port: int) -> None:
    """This process's metrics on a port of their own (a thread), off the public port."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=host)


@metrics_router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    """This process's metrics in Prometheus's text format (both apps, in the gateway)."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
