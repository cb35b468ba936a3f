"""GET /healthz and GET /metrics for the worker process, served by prometheus_client's WSGI
server: its stores, each projection's state and lag, and the Prometheus metrics."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from infra.health import check_dependencies
from workers.metrics import worker_registry
from workers.status import State

if TYPE_CHECKING:
    from workers.process import ProjectionWorker

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def worker_health(worker: ProjectionWorker) -> tuple[int, dict[str, object]]:
    checks = check_dependencies(worker.services)
    head = worker.head.head
    projections: dict[str, object] = {}
    # The threads exist only once the stores are set up; until then nothing is running.
    started = len(worker.threads) == len(worker.runners)
    alive = [started and thread.is_alive() for thread in worker.threads] or [False] * len(
        worker.runners
    )
    for runner, running in zip(worker.runners, alive, strict=True):
        status = runner.status
        projections[runner.name] = {
            "running": running,
            "state": status.state,
            "position": status.position,
            "head": head,
            "lag": max(0, head - status.position),
            "last_error": status.last_error,
            "failed_position": status.failed.position if status.failed else None,
        }
    healthy = (
        all(v in ("ok", "not configured") for v in checks.values())
        and all(alive)
        and not any(r.status.state == State.STOPPED_ON_ERROR for r in worker.runners)
    )
    body: dict[str, object] = {
        "status": "ok" if healthy else "degraded",
        "checks": checks,
        "projections": projections,
    }
    return (200 if healthy else 503), body


def health_app(
    worker: ProjectionWorker,
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    metrics = make_wsgi_app(worker_registry(worker.collector))

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return metrics(environ, start_response)
        if path == "/healthz":
            code, body = worker_health(worker)
        else:
            code, body = 404, {"detail": "not found"}
        payload = json.dumps(body).encode()
        reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[code]
        start_response(
            f"{code} {reason}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass  # healthchecks and scrapes every few seconds would drown the worker's own log


def serve_health(host: str, port: int, worker: ProjectionWorker) -> ThreadingWSGIServer:
    server = make_server(
        host, port, health_app(worker), ThreadingWSGIServer, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="worker-health", daemon=True).start()
    return server
