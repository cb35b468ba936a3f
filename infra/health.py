"""Dependency checks for GET /healthz: each store answers a trivial query, quickly.

The HTTP apps probe every store at once, each under PROBE_TIMEOUT, so a hung store cannot
hold /healthz and is named in its answer. The worker's own health server uses the blocking
`check_dependencies`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio.to_thread
from sqlalchemy import text

from infra.services import Services

# Well under the 2 s a health check gets, for all probes together (they run at once); a
# healthy store answers a trivial query in milliseconds.
PROBE_TIMEOUT = 1.0

Probe = Callable[[], Awaitable[object]]


async def probe_all(
    probes: Mapping[str, Probe | None], timeout: float = PROBE_TIMEOUT
) -> dict[str, str]:
    """Each store's state ("ok", "not configured" or "down: why"), all probed concurrently."""

    async def one(probe: Probe | None) -> str:
        if probe is None:
            return "not configured"
        try:
            async with asyncio.timeout(timeout):
                await probe()
        except TimeoutError:
            return f"down: no answer within {timeout:g} s"
        except Exception as error:
            return f"down: {type(error).__name__}"
        return "ok"

    results = await asyncio.gather(*(one(probe) for probe in probes.values()))
    return dict(zip(probes, results, strict=True))


class ThreadProbe:
    """A blocking check run in a worker thread, one at a time: while a hung store keeps the
    last probe waiting, later probes wait on that one instead of starting more threads."""

    def __init__(self, check: Callable[[], object]) -> None:
        self.check = check
        self._running: asyncio.Future[Any] | None = None

    async def __call__(self) -> None:
        if self._running is None:
            self._running = asyncio.ensure_future(anyio.to_thread.run_sync(self.check))
            self._running.add_done_callback(self._finished)
        await asyncio.shield(self._running)

    def _finished(self, running: asyncio.Future[Any]) -> None:
        self._running = None
        if not running.cancelled():
            running.exception()  # retrieved: nobody may be waiting any more


Probes = Callable[[], Mapping[str, Probe | None]]


def thread_probes(services: Services) -> Probes:
    """Probes of the blocking clients in `services` (the command app's stores)."""
    event_store = ThreadProbe(services.shop.recorder.max_notification_id)
    read_store = ThreadProbe(lambda: _select_one(services))
    redis = ThreadProbe(lambda: _ping_redis(services))
    return lambda: {
        "event_store": event_store,
        "read_store": read_store,
        "redis": redis if services.redis is not None else None,
    }


def check_dependencies(services: Services, timeout: float = PROBE_TIMEOUT) -> dict[str, str]:
    """The blocking twin of probe_all (the worker's health server): every store probed at
    once in its own thread, each given `timeout` seconds, so a hung store is named in time
    (its thread ends with the store's own time-out)."""
    probes: dict[str, Callable[[], object] | None] = {
        "event_store": services.shop.recorder.max_notification_id,
        "read_store": lambda: _select_one(services),
        "redis": (lambda: _ping_redis(services)) if services.redis is not None else None,
    }
    results: dict[str, str] = {
        name: "not configured" for name, probe in probes.items() if probe is None
    }
    threads = []
    for name, probe in probes.items():
        if probe is not None:
            results[name] = f"down: no answer within {timeout:g} s"
            thread = threading.Thread(
                target=_run_probe, args=(probe, name, results), name=f"probe-{name}", daemon=True
            )
            thread.start()
            threads.append(thread)
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return {name: results[name] for name in probes}


def _run_probe(probe: Callable[[], object], name: str, results: dict[str, str]) -> None:
    results[name] = _probe(probe)


def _select_one(services: Services) -> None:
    with services.read_engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def _ping_redis(services: Services) -> None:
    assert services.redis is not None
    services.redis.ping()


def _probe(call: object) -> str:
    try:
        call()  # type: ignore[operator]
    except Exception as error:
        return f"down: {type(error).__name__}"
    return "ok"
