"""A read store and a Redis that accept connections but never answer: the query side answers
503 with Retry-After within READ_STORE_TIMEOUT (instead of hanging), /healthz answers within
2 s naming them, and the query side recovers once the stores answer again.

The stores are the real MariaDB and Redis behind a stalling TCP proxy (tests/support/
stalling.py), so this runs on the services backend only: an embedded SQLite file cannot hang.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from command_api.app import create_app as create_command_app
from infra.services import Services
from infra.settings import Settings, load_settings
from query_api.app import create_app as create_query_app
from tests.support.servers import ShopUnderTest, poll_until, serve
from tests.support.shopping import Person, add, person, place_order, store_position
from tests.support.stalling import StallingProxy, stalling_proxy

TIMEOUT = 1.0  # READ_STORE_TIMEOUT of the query app under test
MARGIN = 4.0  # a loaded machine: the answer must come well before "hanging", not to the ms


@dataclass
class HungStores:
    http: httpx.Client
    command_http: httpx.Client
    read_store: StallingProxy
    redis: StallingProxy
    shopper: Person
    order_id: str
    product_id: str


@pytest.fixture
def hung(backend: str, shop: ShopUnderTest, settings: Settings) -> Iterator[HungStores]:
    """A query app reading the views through stalling proxies, with an order and a cart to
    read (written through the normal shop, whose worker fills the real stores)."""
    if backend == "sqlite":
        pytest.skip("an embedded SQLite file cannot hang like a server")
    assert settings.redis_url is not None
    shopper = person(shop)
    order = place_order(shop, owner=shopper)
    assert add(shop, shopper, order.product_id, 1).status_code == 201
    seen = store_position(shop)
    assert shop.read("/cart", after=seen, headers=shopper.headers).status_code == 200
    with (
        stalling_proxy(("127.0.0.1", 3306)) as read_store,
        stalling_proxy(("127.0.0.1", 6379)) as redis,
    ):
        query_settings = load_settings(
            **{
                **settings.model_dump(),
                "read_store_url": read_store.url_for(settings.read_store_url),
                "redis_url": redis.url_for(settings.redis_url),
                "read_store_timeout": TIMEOUT,
            }
        )
        services = Services(query_settings)
        try:
            with (
                serve(create_query_app(services)) as url,
                serve(create_command_app(services)) as command_url,
                httpx.Client(base_url=url, timeout=60) as http,
                httpx.Client(base_url=command_url, timeout=60) as command_http,
            ):
                yield HungStores(
                    http, command_http, read_store, redis, shopper, order.id, order.product_id
                )
        finally:
            services.close()


def reads(stores: HungStores) -> list[tuple[str, dict[str, str]]]:
    mine = stores.shopper.headers
    return [
        ("/products", {}),
        (f"/products/{stores.product_id}", {}),
        ("/orders", mine),
        (f"/orders/{stores.order_id}", mine),
        (f"/orders/{stores.order_id}/history", mine),
        ("/cart", mine),
    ]


def test_hung_stores_answer_503_in_time_and_healthz_names_them(hung: HungStores) -> None:
    http = hung.http
    for path, headers in reads(hung):  # all well: this also fills the pools
        answer = http.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.text)

    hung.read_store.stall()
    hung.redis.stall()
    for path, headers in reads(hung):
        for position in (None, "1"):  # a plain read, and one that asks for a position first
            sent = dict(headers, **({"X-Event-Position": position} if position else {}))
            started = time.monotonic()
            answer = http.get(path, headers=sent)
            elapsed = time.monotonic() - started
            assert answer.status_code == 503, (path, answer.text)
            assert int(answer.headers["Retry-After"]) > 0
            assert isinstance(answer.json()["detail"], str)
            assert elapsed < TIMEOUT + MARGIN, (path, elapsed)

    # Both apps' health checks (the query app's async clients, the command app's blocking
    # ones in threads), twice: a second check must not queue behind the first one's probes.
    for client in (http, hung.command_http, http, hung.command_http):
        started = time.monotonic()
        health = client.get("/healthz")
        assert time.monotonic() - started < 2.0
        assert health.status_code == 503, health.text
        checks = health.json()["checks"]
        assert checks["read_store"].startswith("down"), checks
        assert checks["redis"].startswith("down"), checks
        assert checks["event_store"] == "ok"
        assert client.get("/ping").json() == "pong"

    # Once the stores answer again, so does the query side: the connections the stall caught
    # were thrown away, not handed to the next request. Authenticated reads wait for the access
    # cache, which fails closed while it is stale, to refresh once (its poller's stalled read
    # times out after READ_STORE_TIMEOUT first).
    hung.read_store.resume()
    hung.redis.resume()
    path, headers = next((p, h) for p, h in reads(hung) if h)  # authenticated
    poll_until(
        lambda: http.get(path, headers=headers).status_code == 200,
        timeout=3 * (TIMEOUT + MARGIN),
        what="the query side to recover",
    )
    for _ in range(3):
        for path, headers in reads(hung):
            answer = http.get(path, headers=headers)
            assert answer.status_code == 200, (path, answer.text)
    assert http.get("/healthz").status_code == 200
