"""What the load generator says to the shop and to the bare checkout, over HTTP: set-up
(accounts, products) and the timed units (a checkout flow, a read). The shop's public API
is used exactly as the storefront uses it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from bench.http import Connection
from bench.load import Step

PASSWORD = "bench shopper password"
STOCK = 1_000_000  # never the limit: stock checks run, sell-outs do not happen
T = TypeVar("T")


@dataclass
class Shopper:
    user_id: str
    headers: dict[str, str]  # Authorization: Bearer <a real shopper token>
    orders: list[str] = field(default_factory=list)


async def _spread(url: str, count: int, make: Callable[[Connection, int], Awaitable[T]]) -> list[T]:
    """`count` set-up requests over a few connections (untimed)."""
    connections = [Connection(url) for _ in range(min(8, max(1, count)))]
    results: list[T | None] = [None] * count

    async def worker(k: int) -> None:
        for i in range(k, count, len(connections)):
            results[i] = await make(connections[k], i)

    try:
        await asyncio.gather(*(worker(k) for k in range(len(connections))))
    finally:
        for connection in connections:
            await connection.close()
    return results  # type: ignore[return-value]


async def login(conn: Connection, username: str, password: str) -> dict[str, str]:
    answer = await conn.request(
        "POST", "/login", body={"username": username, "password": password}, expect=200
    )
    return {"authorization": f"Bearer {answer.json()['access_token']}"}


def new_shoppers(url: str, count: int) -> list[Shopper]:
    """Register and log in `count` new shoppers through the gateway."""

    async def make(conn: Connection, _: int) -> Shopper:
        name = "s" + uuid.uuid4().hex[:15]
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        created = await conn.request("POST", "/register", body=body, expect=201)
        return Shopper(created.json()["id"], await login(conn, name, PASSWORD))

    return asyncio.run(_spread(url, count, make))


def admin_headers(url: str, username: str, password: str) -> dict[str, str]:
    async def run() -> dict[str, str]:
        conn = Connection(url)
        try:
            return await login(conn, username, password)
        finally:
            await conn.close()

    return asyncio.run(run())


def _product_body(i: int) -> dict[str, object]:
    return {
        "name": f"Bench product {uuid.uuid4().hex[:8]}",
        "description": "A product listed by the benchmark. " * 3,
        "price": 500 + i % 1000,
        "stock": STOCK,
    }


def new_products(url: str, count: int, headers: dict[str, str] | None = None) -> list[str]:
    """List `count` products: as an admin on the shop, or on the bare checkout (no headers)."""

    async def make(conn: Connection, i: int) -> str:
        answer = await conn.request("POST", "/products", headers, _product_body(i), expect=201)
        return str(answer.json()["id"])

    return asyncio.run(_spread(url, count, make))


# -- timed units ---------------------------------------------------------------------------------


@dataclass
class FlowTimes:
    """Per-request latencies of flows, when a caller wants them apart."""

    add: list[float] = field(default_factory=list)
    checkout: list[float] = field(default_factory=list)


def project_flow(shopper: Shopper, product_id: str, times: FlowTimes | None = None) -> Step:
    """Add one unit to the cart, then check out; returns the checkout's X-Event-Position."""
    item = {"product_id": product_id, "quantity": 1}

    async def flow(conn: Connection) -> object:
        started = time.perf_counter()
        await conn.request("POST", "/cart", shopper.headers, item, expect=201)
        added = time.perf_counter()
        headers = {**shopper.headers, "idempotency-key": uuid.uuid4().hex}
        answer = await conn.request("POST", "/checkout", headers, expect=201)
        if times is not None:
            times.add.append(added - started)
            times.checkout.append(time.perf_counter() - added)
        shopper.orders.append(answer.json()["order_id"])
        return int(answer.headers["x-event-position"])

    return flow


def bare_flow(product_id: str) -> Step:
    """The same flow on the bare checkout: a new cart, one item, checkout."""
    user = str(uuid.uuid4())

    async def flow(conn: Connection) -> object:
        cart = uuid.uuid4()
        item = {"user_id": user, "product_id": product_id, "quantity": 1}
        await conn.request("POST", f"/carts/{cart}/items", body=item, expect=201)
        answer = await conn.request(
            "POST", f"/carts/{cart}/checkout", body={"user_id": user}, expect=201
        )
        return int(answer.headers["x-event-position"])

    return flow


def reader(paths: Sequence[str], start: int, headers: dict[str, str] | None = None) -> Step:
    """GET the paths in turn, from `start` on (so connections do not move in step)."""
    index = start

    async def read(conn: Connection) -> object:
        nonlocal index
        path = paths[index % len(paths)]
        index += 1
        await conn.request("GET", path, headers, expect=200)
        return None

    return read


def place_orders(url: str, shoppers: list[Shopper], products: list[str], each: int) -> None:
    """`each` flows per shopper (untimed), when orders are needed and no run has made them."""

    async def one(shopper: Shopper, product_id: str) -> None:
        conn = Connection(url)
        try:
            for _ in range(each):
                await project_flow(shopper, product_id)(conn)
        finally:
            await conn.close()

    async def run() -> None:
        await asyncio.gather(*(one(s, p) for s, p in zip(shoppers, products, strict=True)))

    asyncio.run(run())
