"""The projection worker: restarts, replays, crashes, leases and the Redis hot view.

Every wait here is on a view's position (or on a process or log line that has no position);
none sleeps for a projection.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from domain.products import Product
from infra.db import make_engine
from infra.read_store import projection_leases
from infra.services import Services
from infra.settings import Settings
from projections.catalog import catalog_products
from projections.product_cache import ProductCache
from projections.registry import projections_for
from tests.support.processes import SHOP_BIN, shop_env
from tests.support.servers import ShopUnderTest, Worker, poll_until
from workers.process import ProjectionWorker

WAIT = 30.0

Row = tuple[str, str, int, str, int, int, bool]


# -- helpers ------------------------------------------------------------------------------------


@contextmanager
def running_worker(settings: Settings) -> Iterator[Worker]:
    worker = Worker(settings)
    try:
        yield worker
    finally:
        if not worker.stop_event.is_set():  # a test may have stopped it already
            worker.stop()


def wait_for_views(shop: ShopUnderTest, position: int, timeout: float = WAIT) -> None:
    """Wait until every view (the SQL catalog and, if configured, the Redis hot view) has
    reached `position`."""
    positions = shop.services.positions
    assert positions.wait("catalog", position, timeout), (
        f"catalog stuck at {positions.sql_position('catalog')}, wanted {position}"
    )
    if shop.services.redis is not None:
        assert positions.wait(ProductCache.name, position, timeout, in_redis=True), (
            f"product_cache stuck at {positions.redis_position(ProductCache.name)}"
        )


def view_rows(shop: ShopUnderTest) -> dict[uuid.UUID, Row]:
    with shop.services.read_engine.connect() as conn:
        rows = conn.execute(select(catalog_products)).all()
    return {
        row.id: (
            row.name,
            row.description,
            row.price,
            row.currency,
            row.stock,
            row.version,
            bool(row.delisted),
        )
        for row in rows
    }


def aggregate_rows(shop: ShopUnderTest, ids: list[uuid.UUID]) -> dict[uuid.UUID, Row]:
    rows = {}
    for product_id in ids:
        p = shop.services.shop.repository.get(product_id)
        assert isinstance(p, Product)
        rows[product_id] = (
            p.name,
            p.description,
            p.price,
            p.currency,
            p.stock,
            p.version,
            p.delisted,
        )
    return rows


def hot_stock(shop: ShopUnderTest, product_id: uuid.UUID) -> tuple[int, int] | None:
    """(stock, version) of a product in the Redis hot view, or None without Redis."""
    if shop.services.redis is None:
        return None
    cache = ProductCache(shop.settings.redis_namespace)
    fields = shop.services.redis.hgetall(cache.key(product_id))
    return int(fields["stock"]), int(fields["version"])  # type: ignore[index]


def assert_views_match_the_store(shop: ShopUnderTest, ids: list[uuid.UUID]) -> None:
    wanted = aggregate_rows(shop, ids)
    assert view_rows(shop) == wanted
    last = shop.services.shop.recorder.max_notification_id()
    assert shop.services.positions.sql_position("catalog") == last
    if shop.services.redis is not None:
        assert shop.services.positions.redis_position(ProductCache.name) == last
        for product_id, row in wanted.items():
            if not row[6]:
                assert hot_stock(shop, product_id) == (row[4], row[5])


def position_of(answer: object) -> int:
    return int(answer.headers["X-Event-Position"])  # type: ignore[attr-defined]


def revise(shop: ShopUnderTest, product_id: object, **fields: object) -> int:
    body: dict[str, object] = {"name": "Teapot", "price": 1999, "stock": 5}
    body.update(fields)
    version = shop.services.shop.load(Product, uuid.UUID(str(product_id))).version
    headers = {**shop.admin(), "If-Match": f'"{version}"'}
    answer = shop.http.put(f"/products/{product_id}", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return position_of(answer)


def reserve(shop: ShopUnderTest, product_id: uuid.UUID, quantity: int) -> int:
    app = shop.services.shop
    product = app.load(Product, product_id)
    product.reserve(uuid.uuid4(), quantity)
    return app.store(product)


def release(shop: ShopUnderTest, product_id: uuid.UUID, quantity: int) -> int:
    app = shop.services.shop
    product = app.load(Product, product_id)
    product.release(uuid.uuid4(), quantity)
    return app.store(product)


def lease_owners(shop: ShopUnderTest) -> dict[str, str]:
    with shop.services.read_engine.connect() as conn:
        rows = conn.execute(select(projection_leases)).all()
    return {row.name: row.owner for row in rows}


# -- (a) restart --------------------------------------------------------------------------------


def test_a_restarted_worker_carries_on_where_it_stopped(
    shop_without_worker: ShopUnderTest, settings: Settings
) -> None:
    shop = shop_without_worker
    created = [shop.create_product(name=f"P{n}", price=100 + n, stock=n) for n in range(4)]
    ids = [uuid.UUID(answer.json()["id"]) for answer in created]
    first_position = position_of(created[-1])

    with running_worker(settings):
        wait_for_views(shop, first_position)
    assert_views_match_the_store(shop, ids)

    # While no worker runs, the views stand still.
    more = [shop.create_product(name=f"Q{n}", price=200 + n) for n in range(2)]
    ids += [uuid.UUID(answer.json()["id"]) for answer in more]
    revise(shop, ids[0], name="P0 revised", description="new", price=150, stock=7)
    revise(shop, ids[1], price=1, currency="usd", stock=0)
    deleted = shop.http.delete(f"/products/{ids[2]}", headers=shop.admin())
    assert deleted.status_code == 204
    last = position_of(deleted)
    assert shop.services.positions.sql_position("catalog") == first_position

    with running_worker(settings):
        wait_for_views(shop, last)
    assert_views_match_the_store(shop, ids)
    assert view_rows(shop)[ids[1]][3] == "USD"
    listing = shop.read("/products", after=last).json()
    assert listing["total"] == 5
    assert [item["id"] for item in listing["items"]] == [
        str(i) for i in reversed(ids) if i != ids[2]
    ]


# -- (b) deltas are applied once, whatever the restarts -----------------------------------------


def test_stock_deltas_are_not_doubled_by_restarts(
    shop_without_worker: ShopUnderTest, settings: Settings
) -> None:
    shop = shop_without_worker
    created = shop.create_product(stock=100)
    product_id = uuid.UUID(created.json()["id"])
    expected = 100
    batches = [
        [("reserve", 3), ("reserve", 1), ("reserve", 5)],
        [("release", 2), ("reserve", 10)],
        [("reserve", 1)] * 6,
        [("release", 4), ("release", 1), ("reserve", 7)],
    ]
    for number, batch in enumerate(batches):
        # Alternate: half the batches are written while the worker runs, half while it is down.
        if number % 2 == 0:
            positions = []
            for kind, quantity in batch:
                move = reserve if kind == "reserve" else release
                positions.append(move(shop, product_id, quantity))
                expected += -quantity if kind == "reserve" else quantity
            with running_worker(settings):
                wait_for_views(shop, positions[-1])
        else:
            with running_worker(settings):
                for kind, quantity in batch:
                    move = reserve if kind == "reserve" else release
                    position = move(shop, product_id, quantity)
                    expected += -quantity if kind == "reserve" else quantity
                wait_for_views(shop, position)
        assert view_rows(shop)[product_id][4] == expected, f"after batch {number}"
        aggregate = shop.services.shop.load(Product, product_id)
        assert aggregate.stock == expected
        if shop.services.redis is not None:
            assert hot_stock(shop, product_id) == (expected, aggregate.version)
    assert expected == 100 - 9 + 2 - 10 - 6 + 5 - 7
    # One more start with nothing new to do changes nothing.
    with running_worker(settings):
        wait_for_views(shop, shop.services.shop.recorder.max_notification_id())
    assert_views_match_the_store(shop, [product_id])
    assert shop.read(f"/products/{product_id}", after=created).json()["stock"] == expected


# -- (c) a killed worker process ----------------------------------------------------------------


@contextmanager
def worker_process(settings: Settings, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            # A short lease: the restarted worker waits out the killed one's lease.
            [str(SHOP_BIN), "worker", "--lease-ttl", "3"],
            env=shop_env(settings),
            cwd=log.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def test_a_killed_worker_process_loses_and_doubles_nothing(
    shop_without_worker: ShopUnderTest, settings: Settings, tmp_path: Path
) -> None:
    shop = shop_without_worker
    app = shop.services.shop
    ids = []
    for n in range(8):
        product, _ = app.list_product(
            name=f"Bulk {n}", description="", price=100, currency="EUR", stock=10_000
        )
        ids.append(product.id)
    writes = 320
    written: list[int] = []
    failures: list[BaseException] = []
    resume = threading.Event()

    def write() -> None:
        try:
            for n in range(writes):
                if n == writes // 2:
                    resume.wait(WAIT)  # the second half is written after the kill
                product_id = ids[n % len(ids)]
                move = release if n % 5 == 4 else reserve
                written.append(move(shop, product_id, 1 + n % 3))
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    log = tmp_path / "worker.log"
    writer = threading.Thread(target=write)
    try:
        with worker_process(settings, log) as first:
            # Start writing once the worker follows the store, so it works through the stream
            # as it grows rather than in one batch at the end.
            assert shop.services.positions.wait("catalog", app.position(), WAIT), log.read_text()
            writer.start()
            poll_until(lambda: len(written) >= writes // 2 or failures, WAIT, "half the writes")
            assert not failures, failures
            reached = shop.services.positions.wait("catalog", written[writes // 4], WAIT)
            assert reached, log.read_text()
            first.send_signal(signal.SIGKILL)
            assert first.wait(10) == -signal.SIGKILL
        killed_at = shop.services.positions.sql_position("catalog")
    finally:
        resume.set()
        if writer.is_alive():
            writer.join(WAIT)
    assert not failures, failures
    assert len(written) == writes
    assert killed_at < written[-1]

    # The dead worker's lease runs out (it never released it); the new one then takes over.
    with worker_process(settings, log) as second:
        wait_for_views(shop, written[-1], timeout=WAIT)
        assert second.poll() is None, log.read_text()
    assert_views_match_the_store(shop, ids)
    expected_moves = sum(
        (1 + n % 3) * (1 if n % 5 == 4 else -1) for n in range(writes) if n % len(ids) == 0
    )
    assert view_rows(shop)[ids[0]][4] == 10_000 + expected_moves


# -- (d) two workers: one runs, one stands by ---------------------------------------------------


def test_a_second_worker_stands_by_then_takes_over(
    shop_without_worker: ShopUnderTest, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="shop.worker")
    shop = shop_without_worker
    views = {projection.name for projection in projections_for(settings)}
    with running_worker(settings) as first:
        created = shop.create_product(name="Before")
        wait_for_views(shop, position_of(created))
        # The catalog having caught up does not mean every runner has started yet.
        poll_until(lambda: set(lease_owners(shop)) == views, WAIT, "every lease to be taken")
        owners = lease_owners(shop)

        with running_worker(settings) as second:
            poll_until(
                lambda: sum("standing by" in r.getMessage() for r in caplog.records) >= len(views),
                WAIT,
                "the second worker to stand by",
            )
            during = shop.create_product(name="During")
            wait_for_views(shop, position_of(during))
            # The first still holds every lease; the second's threads are alive, waiting.
            assert lease_owners(shop) == owners
            assert all(thread.is_alive() for thread in second.threads)
            assert all(thread.is_alive() for thread in first.threads)

            first.stop()
            assert not any(thread.is_alive() for thread in first.threads)
            # Each standby runner retries every ttl/3: wait until all of them hold their lease.
            poll_until(
                lambda: (
                    set(lease_owners(shop)) == views
                    and not set(lease_owners(shop).values()) & set(owners.values())
                ),
                WAIT,
                "the second worker to take every lease",
            )
            after = shop.create_product(name="After")
            wait_for_views(shop, position_of(after))
            assert all(thread.is_alive() for thread in second.threads)

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    names = [row[0] for row in view_rows(shop).values()]
    assert sorted(names) == ["After", "Before", "During"]


# -- (e) the Redis hot view ---------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["services"])
def test_product_pages_come_from_the_redis_hot_view(shop: ShopUnderTest) -> None:
    redis = shop.services.redis
    assert redis is not None
    created = shop.create_product(name="Hot", price=700, stock=3)
    product_id = created.json()["id"]
    page = shop.read(f"/products/{product_id}", after=created)
    assert page.status_code == 200, page.text
    cache = ProductCache(shop.settings.redis_namespace)
    fields = redis.hgetall(cache.key(product_id))
    assert fields["name"] == "Hot"  # type: ignore[index]
    assert (fields["price"], fields["stock"], fields["version"]) == ("700", "3", "1")  # type: ignore[index]
    assert page.json()["name"] == "Hot"

    # The page is served from Redis: a change made there alone shows up.
    redis.hset(cache.key(product_id), "name", "Served from Redis")
    assert shop.http.get(f"/products/{product_id}").json()["name"] == "Served from Redis"

    revised = revise(shop, product_id, name="Hotter", price=800, stock=3)
    page = shop.read(f"/products/{product_id}", after=revised)
    assert (page.json()["name"], page.json()["price"], page.json()["version"]) == (
        "Hotter",
        800,
        3,
    )
    assert page.headers["ETag"] == '"3"'
    moved = reserve(shop, uuid.UUID(product_id), 2)
    assert shop.read(f"/products/{product_id}", after=moved).json()["stock"] == 1

    deleted = shop.http.delete(f"/products/{product_id}", headers=shop.admin())
    assert shop.read(f"/products/{product_id}", after=deleted).status_code == 404
    assert redis.exists(cache.key(product_id)) == 0


# -- (f) a storage outage pauses a runner; it does not end it -----------------------------------


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_a_read_store_outage_pauses_the_runner_instead_of_ending_it(
    shop_without_worker: ShopUnderTest, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    shop = shop_without_worker
    services = Services(settings)
    stop = threading.Event()
    worker = ProjectionWorker(services, only=["catalog"], lease_ttl=3.0)
    [runner] = worker.runners
    runner.retry_seconds = (0.2, 1.0)
    worker.start(stop)
    [thread] = worker.threads
    try:
        first = shop.create_product(name="Before the outage")
        assert shop.services.positions.wait("catalog", position_of(first), WAIT)

        # The read store goes away: a port where nothing listens.
        healthy = runner.store.engine
        dead = make_engine("mysql+pymysql://root@127.0.0.1:1/gone")
        runner.store.engine = runner.lease.engine = runner.status_engine = dead
        second = shop.create_product(name="During the outage")
        # Let it fail more than once: a runner that survives its first failure retries.
        poll_until(
            lambda: runner.status.failures >= 2 or not thread.is_alive(),
            WAIT,
            "the runner to hit the outage",
        )
        # It says so once (one line per state change, not one per attempt), and reports it.
        assert len(errors(caplog)) == 1, [r.getMessage() for r in errors(caplog)]
        assert "store unavailable" in errors(caplog)[0].getMessage()
        assert runner.status.state == "stopped on error"
        assert runner.status.last_error and "OperationalError" in runner.status.last_error
        # The read store comes back: the same runner carries on from its stored position.
        runner.store.engine = runner.lease.engine = runner.status_engine = healthy
        assert shop.services.positions.wait("catalog", position_of(second), WAIT), (
            f"the runner did not recover (thread alive: {thread.is_alive()})"
        )
        assert thread.is_alive()
        poll_until(lambda: runner.status.failures == 0, WAIT, "the runner to say it resumed")
        assert runner.status.last_error is None
        dead.dispose()
    finally:
        stop.set()
        worker.join(15)
        services.close()
    names = sorted(row[0] for row in view_rows(shop).values())
    assert names == ["Before the outage", "During the outage"]
