"""A store that drops its pooled connections and refuses new ones (MariaDB, Redis): every
request, read or write, still gets an answer, and that answer is 2xx or a 503 with
Retry-After and the JSON body: never a 500, never a connection reset without an answer.

Served by uvicorn as `shop serve` serves it (uvloop, httptools), where a dropped connection
surfaces as "RuntimeError: unable to perform operation on <TCPTransport closed=True>". The
services backend only: an embedded SQLite file cannot drop connections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from command_api.app import create_app as create_command_app
from entrypoints.gateway import Gateway
from infra.services import Services
from infra.settings import Settings, load_settings
from query_api.app import create_app as create_query_app
from tests.support.faults import FaultProxy, fault_proxy
from tests.support.servers import ShopUnderTest, serve
from tests.support.shopping import new_product, person, place_order, store_position

TIMEOUT = 1.0
STORES = {
    "read_store": (("127.0.0.1", 3306), "read_store_url"),
    "redis": (("127.0.0.1", 6379), "redis_url"),
}


@pytest.fixture(params=sorted(STORES))
def dropping(
    request: pytest.FixtureRequest, backend: str, shop: ShopUnderTest, settings: Settings
) -> Iterator[tuple[httpx.Client, FaultProxy, dict[str, Callable[[httpx.Client], httpx.Response]]]]:
    if backend == "sqlite":
        pytest.skip("an embedded SQLite file cannot drop connections")
    target, setting = STORES[str(request.param)]
    shopper = person(shop)
    order = place_order(shop, owner=shopper)
    product_id = new_product(shop, stock=1000)
    assert shop.read("/orders", after=store_position(shop), headers=shopper.headers).is_success
    username = shop.register()["username"]
    calls: dict[str, Callable[[httpx.Client], httpx.Response]] = {
        "products": lambda http: http.get("/products"),
        "product": lambda http: http.get(f"/products/{product_id}"),
        "orders": lambda http: http.get("/orders", headers=shopper.headers),
        "order": lambda http: http.get(f"/orders/{order.id}", headers=shopper.headers),
        "history": lambda http: http.get(f"/orders/{order.id}/history", headers=shopper.headers),
        "cart": lambda http: http.get("/cart", headers=shopper.headers),
        "add": lambda http: http.post(
            "/cart", json={"product_id": product_id, "quantity": 1}, headers=shopper.headers
        ),
        "login": lambda http: http.post(
            "/login", json={"username": username, "password": "correct horse"}
        ),
    }
    with fault_proxy(target) as proxy:
        values = settings.model_dump()
        values[setting] = proxy.url_for(str(values[setting]))
        faulty = load_settings(
            **{
                **values,
                "read_store_timeout": TIMEOUT,
                "redis_timeout": TIMEOUT,
                "request_timeout": 8.0,
                "read_store_pool_size": 3,
            }
        )
        services = Services(faulty)
        try:
            gateway = Gateway(create_command_app(services), create_query_app(services))
            with serve(gateway) as url, httpx.Client(base_url=url, timeout=60) as http:
                yield http, proxy, calls
        finally:
            services.close()


def test_dropped_and_refused_connections_are_503s_not_500s_or_resets(
    dropping: tuple[httpx.Client, FaultProxy, dict[str, Callable[[httpx.Client], httpx.Response]]],
) -> None:
    http, proxy, calls = dropping
    for call in calls.values():  # all well first; this also fills the pools
        assert call(http).status_code in (200, 201), call

    def one(name: str) -> tuple[str, int | str, str]:
        try:
            answer = calls[name](http)
        except httpx.TransportError as error:  # a reset without an answer
            return name, type(error).__name__, ""
        if answer.status_code == 503:
            assert int(answer.headers["Retry-After"]) > 0
            assert isinstance(answer.json()["detail"], str)
        return name, answer.status_code, answer.text[:200]

    names = [name for _ in range(6) for name in calls]
    with ThreadPoolExecutor(8) as pool:
        # Requests in flight while the pooled connections drop under them, and after.
        during = pool.map(one, names[: len(calls) * 2])
        proxy.refuse()  # pooled connections dropped under the shop, new ones refused
        results = list(during) + list(pool.map(one, names))
    bad = [r for r in results if r[1] not in (200, 201, 503)]
    assert not bad, bad
    assert any(r[1] == 503 for r in results)
