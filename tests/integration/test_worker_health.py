"""The worker process answers GET /healthz with its stores and each projection's lag."""

from __future__ import annotations

import threading

import httpx

from infra.settings import Settings
from tests.support.servers import free_port, poll_until
from workers.process import run_worker


def _answering(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.TransportError:
        return False
    return True


def test_worker_health_reports_projections(settings: Settings) -> None:
    port = free_port()
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker, args=(settings, stop, None, ("127.0.0.1", port)), daemon=True
    )
    thread.start()
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        poll_until(lambda: _answering(url), 20, "the worker's health endpoint")
        answer = httpx.get(url)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "ok"
        assert body["checks"]["event_store"] == "ok"
        assert {"catalog", "carts", "orders"} <= set(body["projections"])
        for projection in body["projections"].values():
            assert projection["running"] is True
            assert projection["lag"] == 0
        assert httpx.get(f"http://127.0.0.1:{port}/other").status_code == 404
    finally:
        stop.set()
        thread.join(timeout=20)
    assert not thread.is_alive()
