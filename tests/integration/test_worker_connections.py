"""The worker's budget on the event store's PostgreSQL: one LISTEN connection and a pool of at
most WORKER_POOL_SIZE, whatever the number of projections, seen from pg_stat_activity; and a
lost NOTIFY does not leave a view stuck."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from infra.settings import Settings
from tests.support.processes import SHOP_BIN, shop_env
from tests.support.servers import ShopUnderTest, free_port, poll_until
from tests.support.stores import PG

WAIT = 30.0


def connections(database: str, application: str) -> list[tuple[str, str]]:
    """(state, query) of each PostgreSQL connection of that application to that database."""
    with psycopg.connect(**PG, autocommit=True) as conn:  # type: ignore[arg-type]
        rows = conn.execute(
            "SELECT state, query FROM pg_stat_activity WHERE datname = %s"
            " AND application_name = %s",
            (database, application),
        ).fetchall()
    return [(str(state), str(query)) for state, query in rows]


def position_of(answer: Any) -> int:
    return int(answer.headers["X-Event-Position"])


def healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.parametrize("backend", ["services"])
def test_the_worker_holds_one_listen_connection_and_a_small_pool(
    shop_without_worker: ShopUnderTest, settings: Settings, tmp_path: Path
) -> None:
    shop = shop_without_worker
    database = settings.event_store_url.rsplit("/", 1)[1]
    application = "test-worker-" + uuid.uuid4().hex[:8]
    port = free_port()
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [str(SHOP_BIN), "worker", "--health-port", str(port)],
            # libpq names every connection of the process after PGAPPNAME.
            env=shop_env(settings, PGAPPNAME=application),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        poll_until(lambda: healthy(f"http://127.0.0.1:{port}/healthz"), WAIT, "the worker")
        projections = httpx.get(f"http://127.0.0.1:{port}/healthz").json()["projections"]
        assert len(projections) >= 4  # more runners than pool connections
        # Work for every projection: products, a cart, an order.
        admin = shop.admin()
        shopper = shop.shopper()
        last = None
        for n in range(5):
            created = shop.create_product(name=f"P{n}", stock=10)
            added = shop.http.post(
                "/cart", json={"product_id": created.json()["id"], "quantity": 1}, headers=shopper
            )
            assert added.status_code == 201, added.text
            last = int(added.headers["X-Event-Position"])
        assert admin and last is not None
        for name in ("catalog", "carts", "orders"):
            assert shop.services.positions.wait(name, last, WAIT), log.read_text()
        assert shop.services.positions.wait("product_cache", last, WAIT, in_redis=True)

        seen = connections(database, application)
        listening = [query for _, query in seen if query.upper().startswith("LISTEN")]
        assert len(listening) == 1, seen
        assert len(seen) <= 1 + settings.worker_pool_size, seen

        # A NOTIFY that never comes (this process's writes stop sending it): the worker's
        # periodic re-check of the head still brings the views there.
        recorder: Any = shop.services.shop.recorder
        recorder._notify_channel = lambda cursor: None
        silent = shop.create_product(name="Unannounced")
        assert shop.services.positions.wait("catalog", position_of(silent), WAIT)
        assert worker.poll() is None, log.read_text()
    finally:
        worker.terminate()
        worker.wait(20)
    poll_until(lambda: not connections(database, application), WAIT, "the worker to disconnect")
