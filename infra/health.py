"""Dependency checks for GET /healthz: each store answers a trivial query, quickly."""

from __future__ import annotations

from sqlalchemy import text

from infra.services import Services


def check_dependencies(services: Services) -> dict[str, str]:
    checks: dict[str, str] = {}
    checks["event_store"] = _probe(lambda: services.shop.recorder.max_notification_id())
    checks["read_store"] = _probe(lambda: _select_one(services))
    if services.redis is not None:
        checks["redis"] = _probe(lambda: services.redis.ping())
    else:
        checks["redis"] = "not configured"
    return checks


def _select_one(services: Services) -> None:
    with services.read_engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def _probe(call: object) -> str:
    try:
        call()  # type: ignore[operator]
    except Exception as error:
        return f"down: {type(error).__name__}"
    return "ok"
