"""Read-your-writes without abuse: callers are authenticated and authorised before any wait,
positions no command can have returned are refused at once, waiting requests hold no thread
and are woken when their view catches up, and their number is capped."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from domain.shop import Shop
from infra.event_head import EventStoreHead
from infra.event_store import event_store_env
from infra.settings import Settings, load_settings
from query_api.waiting import ReadYourWrites
from tests.support.servers import POSITION, ShopUnderTest, Worker, poll_until, start_shop
from tests.support.shopping import new_product, person, position_of

HUGE = "999999999999"
WAITERS = 200


@pytest.fixture
def still_shop(settings: Settings) -> Iterator[ShopUnderTest]:
    """A shop without a worker (its views stand still until a test starts one), whose
    queries would wait up to 30 s for a position."""
    patient = load_settings(**{**settings.model_dump(), "read_your_writes_timeout": 30.0})
    with start_shop(patient, worker=False) as running:
        yield running


def read_your_writes(shop: ShopUnderTest) -> ReadYourWrites:
    waits: ReadYourWrites = shop.gateway.query.state.reads.read_your_writes
    return waits


def park(shop: ShopUnderTest, requests: list[tuple[str, dict[str, str]]]) -> Future[list[Any]]:
    """Send all `requests` at once from another thread; the future holds their answers."""

    async def send_all() -> list[Any]:
        limits = httpx.Limits(max_connections=len(requests) + 10)
        async with httpx.AsyncClient(base_url=shop.url, timeout=90, limits=limits) as client:
            return list(
                await asyncio.gather(
                    *(client.get(path, headers=headers) for path, headers in requests),
                    return_exceptions=True,
                )
            )

    pool = ThreadPoolExecutor(1)
    future = pool.submit(asyncio.run, send_all())
    pool.shutdown(wait=False)
    return future


def timed_get(
    shop: ShopUnderTest, path: str, headers: dict[str, str]
) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    answer = shop.http.get(path, headers=headers)
    return answer, time.monotonic() - started


def test_parked_waiters_leave_ping_answering_and_wake_when_the_views_catch_up(
    still_shop: ShopUnderTest,
) -> None:
    shop = still_shop
    product_id = new_product(shop)
    position = shop.services.shop.position()
    wanted = {POSITION: str(position)}
    requests = [("/products", wanted)] * (WAITERS // 2)
    requests += [(f"/products/{product_id}", wanted)] * (WAITERS // 2)
    waits = read_your_writes(shop)

    parked = park(shop, requests)
    worker = None
    try:
        poll_until(lambda: waits.waiting == WAITERS, 60, f"{WAITERS} requests to wait")
        for _ in range(20):
            answer, elapsed = timed_get(shop, "/ping", {})
            assert answer.json() == "pong"
            assert elapsed < 1.0, elapsed
        # Reads without a position are not held up either; the view is still empty.
        answer, elapsed = timed_get(shop, "/products", {})
        assert answer.json()["total"] == 0 and elapsed < 2.0
        assert not parked.done()

        worker = Worker(shop.settings)
        answers = parked.result(timeout=60)
    finally:
        if worker is not None:
            worker.stop()
    for (path, _), answer in zip(requests, answers, strict=True):
        assert isinstance(answer, httpx.Response), answer
        assert answer.status_code == 200, (path, answer.text)
        body = answer.json()
        found = body["items"][0]["id"] if path == "/products" else body["id"]
        assert found == product_id
    assert waits.waiting == 0


def test_callers_are_checked_before_any_wait(shop_without_worker: ShopUnderTest) -> None:
    shop = shop_without_worker  # its queries would wait 10 s
    order = uuid.uuid4()
    protected = [
        "/orders",
        "/cart",
        "/protected",
        f"/orders/{order}",
        f"/orders/{order}/history",
        f"/orders/{order}/payments",
    ]
    not_yet = str(position_of(shop.create_product()))  # the views never get there
    for path in protected:
        for position in (HUGE, not_yet):
            for auth in ({}, {"Authorization": "Bearer not-a-token"}):
                answer, elapsed = timed_get(shop, path, {POSITION: position, **auth})
                assert answer.status_code == 401, (path, answer.text)
                assert elapsed < 2.0, (path, elapsed)

    shopper = person(shop)
    answer, elapsed = timed_get(
        shop, f"/orders/{order}/payments", {POSITION: not_yet, **shopper.headers}
    )
    assert answer.status_code == 403, answer.text  # staff only: refused before waiting
    assert elapsed < 2.0

    # Signed in, or on public routes, a position beyond the event store is a 400 at once.
    for path, headers in [
        ("/orders", shopper.headers),
        ("/cart", shopper.headers),
        (f"/orders/{order}", shopper.headers),
        ("/products", {}),
        (f"/products/{uuid.uuid4()}", {}),
    ]:
        answer, elapsed = timed_get(shop, path, {POSITION: HUGE, **headers})
        assert answer.status_code == 400, (path, answer.text)
        assert "X-Event-Position" in answer.json()["detail"]
        assert elapsed < 2.0, (path, elapsed)


def test_waiters_beyond_the_cap_are_503_at_once(settings: Settings) -> None:
    capped = load_settings(
        **{
            **settings.model_dump(),
            "read_your_writes_timeout": 30.0,
            "read_your_writes_max_waiters": 3,
        }
    )
    with start_shop(capped, worker=False) as shop:
        new_product(shop)
        wanted = {POSITION: str(shop.services.shop.position())}
        waits = read_your_writes(shop)
        parked = park(shop, [("/products", wanted)] * 3)
        worker = None
        try:
            poll_until(lambda: waits.waiting == 3, 60, "3 requests to wait")
            answer, elapsed = timed_get(shop, "/products", wanted)
            assert answer.status_code == 503, answer.text
            assert int(answer.headers["Retry-After"]) > 0
            assert "too many" in answer.json()["detail"]
            assert elapsed < 2.0
            worker = Worker(shop.settings)
            answers = parked.result(timeout=60)
        finally:
            if worker is not None:
                worker.stop()
    assert [answer.status_code for answer in answers] == [200, 200, 200]


def test_the_head_never_refuses_a_position_a_command_returned(settings: Settings) -> None:
    """A refusal rests on a read begun after the request arrived, even while a flood of bogus
    positions keeps reads in flight; and the flood shares reads instead of multiplying them."""
    shop = Shop(env=event_store_env(settings))
    shop.recorder.create_table()  # Services.setup() does this for the apps
    head = EventStoreHead.of(settings, shop.recorder)
    statements: list[str] = []
    event.listen(
        head.engine.sync_engine,
        "before_cursor_execute",
        lambda *args: statements.append(args[2]),
    )

    async def scenario() -> None:
        stop = asyncio.Event()

        async def flood() -> None:
            while not stop.is_set():
                assert not await head.covers(10**15, since=time.monotonic())

        flooding = [asyncio.create_task(flood()) for _ in range(5)]
        for _ in range(100):
            position = await asyncio.to_thread(shop.open_account, uuid.uuid4(), "shopper")
            assert await head.covers(position, since=time.monotonic())
        stop.set()
        await asyncio.gather(*flooding)

        # 500 bogus positions at once: answered by one or two reads, not 500.
        before = len(statements)
        refused = await asyncio.gather(
            *(head.covers(10**15, since=time.monotonic()) for _ in range(500))
        )
        assert not any(refused)
        assert len(statements) - before <= 2
        await head.close()

    try:
        asyncio.run(scenario())
    finally:
        shop.close()
