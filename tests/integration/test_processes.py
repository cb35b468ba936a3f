"""Several API processes on one store, as deployed: real `shop serve gateway` processes.

- Shoppers spread over two gateway processes race for the last unit: one wins, stock never
  goes below zero (each process has its own aggregate cache; the store's versions decide).
- A logout or a role change made in one process reaches every other within one second,
  through the worker's access view and each process's poller (no query per request).
- The gateway keeps to its PostgreSQL connection budget under load (pg_stat_activity).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from uuid import UUID

import httpx
import psycopg
import pytest

from domain.products import Product
from infra.services import Services
from infra.settings import Settings, load_settings
from tests.support.processes import gateway_process, shop_process
from tests.support.servers import ShopUnderTest
from tests.support.shopping import (
    Person,
    all_at_once,
    new_product,
    person,
    read_json,
    staff,
    store_position,
    stored_stock,
)
from tests.support.stores import PG

WAIT = 30.0
# What the README promises for `make run` on PostgreSQL.
GATEWAY_BUDGET = 12
TOTAL_BUDGET = 20


@pytest.fixture
def two_gateways(shop: ShopUnderTest, tmp_path: Path) -> Iterator[list[httpx.Client]]:
    """Two more API processes on the test's stores (the `shop` fixture created the schema
    and runs the worker)."""
    with (
        gateway_process(shop.settings, tmp_path / "gateway-a.log") as a,
        gateway_process(shop.settings, tmp_path / "gateway-b.log") as b,
        httpx.Client(base_url=a, timeout=60) as first,
        httpx.Client(base_url=b, timeout=60) as second,
    ):
        yield [first, second]


# -- the last unit, sold once across processes ---------------------------------------------------


@pytest.mark.parametrize("shoppers", [20, 50])
def test_shoppers_on_two_processes_race_for_the_last_unit(
    shop: ShopUnderTest, two_gateways: list[httpx.Client], shoppers: int
) -> None:
    last = new_product(shop, stock=1)
    people = [person(shop) for _ in range(shoppers)]
    # Through both processes, so each has the product in its aggregate cache (as a busy
    # shop's would): the race is decided between cached copies fast-forwarded from the store.
    for index, shopper in enumerate(people):
        line = {"product_id": last, "quantity": 1}
        added = two_gateways[index % 2].post("/cart", json=line, headers=shopper.headers)
        assert added.status_code == 201, added.text

    def check_out(index: int, shopper: Person) -> httpx.Response:
        return two_gateways[index % 2].post("/checkout", headers=shopper.headers)

    answers = all_at_once([partial(check_out, i, shopper) for i, shopper in enumerate(people)])

    codes = Counter(answer.status_code for answer in answers)
    assert codes == {201: 1, 409: shoppers - 1}, [a.text for a in answers if a.status_code != 409]
    assert stored_stock(shop, last) == 0
    stock, lowest, reserved = 0, 0, 0
    for event in shop.services.shop.events.get(UUID(last)):
        if isinstance(event, Product.ProductListed):
            stock = event.stock
        elif isinstance(event, Product.StockReserved):
            stock, reserved = stock - event.quantity, reserved + 1
        elif isinstance(event, Product.StockReleased):
            stock += event.quantity
        lowest = min(lowest, stock)
    assert (stock, lowest, reserved) == (0, 0, 1)

    winner = next(a for a in answers if a.status_code == 201)
    everything = store_position(shop)
    orders = read_json(shop, "/orders", everything, staff(shop, "admin"))
    assert [item["id"] for item in orders["items"]] == [winner.json()["order_id"]]


# -- logout and role changes reach every process --------------------------------------------------


def within(limit: float, condition: Callable[[], bool], what: str) -> float:
    """Poll `condition` (every 10 ms) until it holds; fail unless that took under `limit` s."""
    started = time.monotonic()
    while not condition():
        elapsed = time.monotonic() - started
        assert elapsed < limit, f"{what}: not within {limit} s"
        time.sleep(0.01)  # the poll interval of the measurement itself
    return time.monotonic() - started


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_logout_and_a_role_change_reach_every_process_within_a_second(
    shop_without_worker: ShopUnderTest, settings: Settings, tmp_path: Path
) -> None:
    shop = shop_without_worker
    account = shop.register()
    with (
        shop_process(settings, ["worker"], tmp_path / "worker.log"),
        gateway_process(settings, tmp_path / "gateway-a.log") as a_url,
        gateway_process(settings, tmp_path / "gateway-b.log") as b_url,
        httpx.Client(base_url=a_url, timeout=30) as a,
        httpx.Client(base_url=b_url, timeout=30) as b,
    ):
        # The worker is up and following (its access view has passed the registration).
        assert shop.services.positions.wait("access", store_position(shop), WAIT), (
            tmp_path / "worker.log"
        ).read_text()[-3000:]
        credentials = {"username": account["username"], "password": account["password"]}
        login = a.post("/login", json=credentials)
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        for process in (a, b):
            assert process.get("/protected", headers=bearer(token)).status_code == 200

        # A logout at A: refused at A at once, and at B within a second.
        assert a.post("/logout", headers=bearer(token)).status_code == 204
        assert a.get("/protected", headers=bearer(token)).status_code == 401
        within(1.0, lambda: b.get("/cart", headers=bearer(token)).status_code == 401, "logout")
        assert b.post("/logout", headers=bearer(token)).status_code == 401

        # A role change made by a third process (this one): A and B within a second.
        token = a.post("/login", json=credentials).json()["access_token"]
        product = {"name": "Kettle", "price": 999, "stock": 1}
        assert b.post("/products", json=product, headers=bearer(token)).status_code == 403
        for role in ("admin", "support", "admin"):
            shop.services.accounts.set_role(account["username"], role)
            for name, process in (("A", a), ("B", b)):
                within(
                    1.0,
                    lambda p=process, r=role: (  # type: ignore[misc]
                        p.get("/protected", headers=bearer(token)).json()["role"] == r
                    ),
                    f"{role} at {name}",
                )
        created = b.post("/products", json=product, headers=bearer(token))
        assert created.status_code == 201, created.text
        # Other tokens of other users are untouched.
        other = shop.shopper()
        assert b.get("/protected", headers=other).json()["role"] == "shopper"


# -- the PostgreSQL connection budget -------------------------------------------------------------


def connections(dbname: str) -> Counter[str]:
    """This test database's connections, by application name (the CLI names each process)."""
    with psycopg.connect(**PG, autocommit=True) as conn:  # type: ignore[arg-type]
        rows = conn.execute(
            "SELECT application_name, count(*) FROM pg_stat_activity WHERE datname = %s"
            " GROUP BY application_name",
            (dbname,),
        ).fetchall()
    return Counter({name: count for name, count in rows})


def test_the_gateway_keeps_to_its_postgresql_budget_under_load(
    backend: str, settings: Settings, tmp_path: Path
) -> None:
    if backend != "services":
        pytest.skip("the connection budget is about PostgreSQL")
    dbname = settings.event_store_url.rsplit("/", 1)[1]
    setup = Services(load_settings(**{**settings.model_dump(), "event_store_pool_size": 1}))
    try:
        setup.setup()
        admin = "admin" + uuid.uuid4().hex[:8]
        setup.accounts.register(admin, f"{admin}@example.com", "admin password", role="admin")
    finally:
        setup.close()

    peaks: Counter[str] = Counter()
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            for name, count in connections(dbname).items():
                peaks[name] = max(peaks[name], count)

    with (
        gateway_process(settings, tmp_path / "gateway.log") as url,
        shop_process(settings, ["worker"], tmp_path / "worker.log"),
        httpx.Client(base_url=url, timeout=60, limits=httpx.Limits(max_connections=64)) as http,
    ):
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            token = http.post("/login", json={"username": admin, "password": "admin password"})
            products = [
                http.post(
                    "/products",
                    json={"name": f"P{n}", "price": 100 + n, "stock": 1000},
                    headers=bearer(token.json()["access_token"]),
                ).json()["id"]
                for n in range(8)
            ]

            def shopper(n: int) -> list[int]:
                name = f"s{n}x{uuid.uuid4().hex[:6]}"
                account = {"username": name, "password": "correct horse"}
                codes = [
                    http.post(
                        "/register", json={**account, "email": f"{name}@example.com"}
                    ).status_code
                ]
                login = http.post("/login", json=account)
                headers = bearer(login.json()["access_token"])
                for product in products[n % 8 : n % 8 + 2]:
                    body = {"product_id": product, "quantity": 1}
                    codes.append(http.post("/cart", json=body, headers=headers).status_code)
                codes.append(http.get("/cart", headers=headers).status_code)
                codes.append(http.post("/checkout", headers=headers).status_code)
                codes.append(http.get("/products").status_code)
                codes.append(http.get("/protected", headers=headers).status_code)
                return codes

            with ThreadPoolExecutor(max_workers=48) as pool:
                results = list(pool.map(shopper, range(96)))
        finally:
            stop.set()
            sampler.join(timeout=10)
        now = connections(dbname)

    # Every request answered; a checkout may lose a version race for a popular product (409).
    assert all(code < 300 or code == 409 for codes in results for code in codes), results
    assert sum(codes[-3] == 201 for codes in results) > len(results) // 2, results
    print(f"peak PostgreSQL connections by process: {dict(peaks)}")
    assert peaks["shop-gateway"] > 0, peaks  # the sampler saw the gateway's connections
    assert peaks["shop-gateway"] <= GATEWAY_BUDGET, peaks
    assert peaks["shop-gateway"] + peaks["shop-worker"] <= TOTAL_BUDGET, peaks
    assert now["shop-gateway"] <= GATEWAY_BUDGET, now
