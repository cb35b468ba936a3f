"""GET /healthz for the worker process: its stores, and each projection's thread and lag.

The worker has no web framework; a tiny threaded HTTP server is enough for a container
healthcheck or a person with curl.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from infra.health import check_dependencies
from infra.services import Services
from workers.runner import ProjectionRunner


def worker_health(
    services: Services, runners: list[ProjectionRunner], threads: list[threading.Thread]
) -> tuple[int, dict[str, object]]:
    checks = check_dependencies(services)
    head = services.shop.position() if checks["event_store"] == "ok" else None
    projections: dict[str, object] = {}
    for runner, thread in zip(runners, threads, strict=True):
        try:
            position: int | None = runner.store.position()
        except Exception:
            position = None
        projections[runner.name] = {
            "running": thread.is_alive(),
            "position": position,
            "lag": None if head is None or position is None else max(0, head - position),
        }
    healthy = all(v in ("ok", "not configured") for v in checks.values()) and all(
        thread.is_alive() for thread in threads
    )
    body: dict[str, object] = {
        "status": "ok" if healthy else "degraded",
        "checks": checks,
        "projections": projections,
    }
    return (200 if healthy else 503), body


def serve_health(
    host: str,
    port: int,
    services: Services,
    runners: list[ProjectionRunner],
    threads: list[threading.Thread],
) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = (
                worker_health(services, runners, threads)
                if self.path == "/healthz"
                else (404, {"detail": "not found"})
            )
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass  # healthchecks every few seconds would drown the worker's own log

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="worker-health", daemon=True).start()
    return server
