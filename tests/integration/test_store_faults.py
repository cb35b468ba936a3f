"""Each store fails each way (refused, accepting and hanging, connections cut) behind a
fault proxy (tests/support/faults.py), in front of a gateway (both APIs) built on it:

- every request answers within its time-out plus a margin: 2xx, or 503 with Retry-After
  and the JSON error body, never a 500 and never a hang;
- the requests that need the failed store answer 503, /healthz answers within 2 s with
  503 and names the store;
- when the store answers again, so does the shop, by itself.

The services backend only: an embedded SQLite file cannot refuse or hang.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from command_api.app import create_app as create_command_app
from entrypoints.gateway import Gateway
from infra.services import Services
from infra.settings import Settings, load_settings
from query_api.app import create_app as create_query_app
from tests.support.faults import FaultProxy, fault_proxy
from tests.support.servers import ShopUnderTest, poll_until, serve
from tests.support.shopping import Person, add, new_product, person, place_order, store_position

TIMEOUT = 1  # every store time-out of the gateway under test
REQUEST_TIMEOUT = 8.0
MARGIN = 4.0  # a loaded machine: well before "hanging", not to the millisecond
RECOVERY = 30.0

STORES = {
    "event_store": (("127.0.0.1", 5432), "event_store_url"),
    "read_store": (("127.0.0.1", 3306), "read_store_url"),
    "redis": (("127.0.0.1", 6379), "redis_url"),
}


@dataclass
class Faulty:
    http: httpx.Client
    proxy: FaultProxy
    shopper: Person
    product_id: str
    order_id: str
    seen: int

    def requests(self) -> dict[str, Callable[[], httpx.Response]]:
        """What a shopper does, named by the store each one needs."""
        mine = self.shopper.headers
        # Past the head the query side has seen, so it must ask the event store.
        beyond = {**mine, "X-Event-Position": str(self.seen + 10**6)}
        return {
            "event_store": lambda: self.http.post(
                "/cart", json={"product_id": self.product_id, "quantity": 1}, headers=mine
            ),
            "event_store+position": lambda: self.http.get("/products", headers=beyond),
            "read_store": lambda: self.http.get("/orders", headers=mine),
            "read_store+order": lambda: self.http.get(f"/orders/{self.order_id}", headers=mine),
            "redis": lambda: self.http.get(f"/products/{self.product_id}"),
        }


@pytest.fixture(params=sorted(STORES))
def faulty(
    request: pytest.FixtureRequest, backend: str, shop: ShopUnderTest, settings: Settings
) -> Iterator[Faulty]:
    if backend == "sqlite":
        pytest.skip("an embedded SQLite file cannot refuse, hang or cut connections")
    store = str(request.param)
    target, setting = STORES[store]
    shopper = person(shop)
    order = place_order(shop, owner=shopper)
    product_id = new_product(shop, stock=1000)
    assert add(shop, shopper, product_id, 1).status_code == 201
    seen = store_position(shop)
    assert shop.read("/orders", after=seen, headers=shopper.headers).status_code == 200
    with fault_proxy(target) as proxy:
        values = settings.model_dump()
        values[setting] = proxy.url_for(str(values[setting]))
        faulty_settings = load_settings(
            **{
                **values,
                "db_connect_timeout": TIMEOUT,
                "db_statement_timeout": TIMEOUT,
                "db_lock_timeout": TIMEOUT,
                "read_store_timeout": TIMEOUT,
                "redis_timeout": TIMEOUT,
                "request_timeout": REQUEST_TIMEOUT,
                "event_store_pool_size": 2,
                "read_store_pool_size": 2,
            }
        )
        services = Services(faulty_settings)
        try:
            gateway = Gateway(create_command_app(services), create_query_app(services))
            with serve(gateway) as url, httpx.Client(base_url=url, timeout=120) as http:
                yield Faulty(http, proxy, shopper, product_id, order.id, seen)
        finally:
            services.close()


def timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


def check_answers(faulty: Faulty, store: str) -> None:
    for name, call in faulty.requests().items():
        answer, elapsed = timed(call)
        assert elapsed < REQUEST_TIMEOUT + MARGIN, (name, elapsed)
        assert answer.status_code in (200, 201, 400, 503), (name, answer.status_code, answer.text)
        if answer.status_code == 503:
            assert int(answer.headers["Retry-After"]) > 0, name
            assert isinstance(answer.json()["detail"], str), name
        if name.split("+")[0] == store:
            assert answer.status_code == 503, (name, answer.text)
    health, elapsed = timed(lambda: faulty.http.get("/healthz"))
    assert elapsed < 2.0 + 1.0, elapsed  # 2 s, plus the HTTP round trip on a loaded machine
    assert health.status_code == 503, health.text
    assert health.json()["checks"][store].startswith("down"), health.json()
    assert faulty.http.get("/ping").json() == "pong"


def check_recovered(faulty: Faulty) -> None:
    faulty.proxy.heal()

    def all_answer() -> bool:
        return all(call().status_code in (200, 201, 400) for call in faulty.requests().values())

    poll_until(all_answer, RECOVERY, "the shop to answer again")
    assert faulty.http.get("/healthz").status_code == 200


def test_a_failing_store_is_a_quick_503_and_the_shop_recovers(
    faulty: Faulty, request: pytest.FixtureRequest
) -> None:
    store = request.node.callspec.params["faulty"]
    for _, call in faulty.requests().items():  # all well first: this also fills the pools
        assert call().status_code in (200, 201, 400)  # 400: a position beyond the head
    for fault in (faulty.proxy.refuse, faulty.proxy.hang, faulty.proxy.cut):
        fault()
        if fault == faulty.proxy.cut:
            # Cut: the next use of each pooled connection fails; the shop reconnects.
            for name, call in faulty.requests().items():
                answer, elapsed = timed(call)
                assert elapsed < REQUEST_TIMEOUT + MARGIN, (name, elapsed)
                assert answer.status_code in (200, 201, 400, 503), (name, answer.text)
        else:
            check_answers(faulty, store)
        check_recovered(faulty)


def test_an_exhausted_pool_is_a_503_not_a_500(
    backend: str, shop: ShopUnderTest, settings: Settings
) -> None:
    """Every event store connection of a process busy: commands answer 503 with Retry-After
    within the pool's time-out (plus the library's retries), and work again once one is free."""
    if backend == "sqlite":
        pytest.skip("SQLite has no connection pool to exhaust")
    shopper = person(shop)
    product_id = new_product(shop, stock=100)
    small = load_settings(
        **{**settings.model_dump(), "event_store_pool_size": 1, "db_connect_timeout": TIMEOUT}
    )
    services = Services(small)
    try:
        with serve(create_command_app(services)) as url, httpx.Client(base_url=url) as http:

            def add_one() -> httpx.Response:
                body = {"product_id": product_id, "quantity": 1}
                return http.post("/cart", json=body, headers=shopper.headers, timeout=60)

            assert add_one().status_code == 201
            datastore = services.shop.recorder.datastore  # type: ignore[attr-defined]
            with datastore.get_connection():  # the pool's only connection, held
                answer, elapsed = timed(add_one)
            assert answer.status_code == 503, answer.text
            assert int(answer.headers["Retry-After"]) > 0
            assert elapsed < REQUEST_TIMEOUT + MARGIN
            poll_until(lambda: add_one().status_code == 201, RECOVERY, "a free connection")
    finally:
        services.close()
