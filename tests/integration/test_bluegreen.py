"""Blue/green rebuilds: a new version of a view is built beside the live one while the query
API keeps serving the old one, and switched in atomically; a switch cut short is recovered.

Version 2 of the catalog below writes product names in capitals, so a reader can tell the
two builds apart: every answer must be wholly one or wholly the other, with every product.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect, select

from domain.products import Product
from infra import schema
from infra.read_store import projection_positions
from infra.services import Services
from projections.base import handles
from projections.batch import ViewBatch
from projections.catalog import CatalogView, catalog_products
from projections.product_cache import ProductCache
from tests.support.servers import ShopUnderTest, poll_until
from tests.support.shopping import new_product
from workers import bluegreen
from workers.bluegreen import BlueGreen, SqlTarget, rebuild, target_for
from workers.lease import Lease
from workers.process import ProjectionWorker
from workers.replay import store_for
from workers.schema import views_schema
from workers.status import State
from workers.versions import LIVE, SWITCHING, ViewVersion, read_version
from workers.view_stores import PositionConflict

PRODUCTS = 30


OLD = CatalogView.version
NEW = OLD + 1


class ShoutingCatalog(CatalogView):
    """The next version of the catalog view: names in capitals (what the view holds has
    changed)."""

    version = NEW

    @handles(Product.ProductListed)
    def _listed(self, view: ViewBatch, event: Any, position: int) -> None:
        super()._listed(view, event, position)
        view.update(catalog_products, event.originator_id, name=event.name.upper())

    @handles(Product.ProductDetailsRevised)
    def _revised(self, view: ViewBatch, event: Any, position: int) -> None:
        self._change(view, event, name=event.name.upper(), description=event.description)


def stop_fixture_worker(shop: ShopUnderTest) -> None:
    assert shop.worker is not None
    shop.worker.stop_event.set()
    shop.worker.projections.join(15)
    assert not any(thread.is_alive() for thread in shop.worker.threads)


@contextmanager
def worker(shop: ShopUnderTest, projection: CatalogView) -> Iterator[ProjectionWorker]:
    """A worker running only this catalog projection (its own connections)."""
    services = Services(shop.settings, pool_size=2)
    stop = threading.Event()
    running = ProjectionWorker(services, lease_ttl=3.0, projections=[projection])
    for runner in running.runners:
        runner.retry_seconds = (0.2, 1.0)
        runner.rebuild_batch_size = 1  # a slow build, so the readers overlap it
    running.start(stop)
    try:
        yield running
    finally:
        stop.set()
        running.join(15)
        services.close()


class Reader:
    """Reads the whole catalog over HTTP, again and again, in a thread, keeping each answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answers: list[tuple[int, list[str]]] = []
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)

    def _read(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self.stop.is_set():
                answer = http.get("/products", params={"limit": 100})
                if answer.status_code != 200:
                    self.errors.append(f"{answer.status_code} {answer.text}")
                    continue
                body = answer.json()
                self.answers.append((body["total"], [item["name"] for item in body["items"]]))

    def __enter__(self) -> Reader:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(30)


def list_products(shop: ShopUnderTest) -> int:
    """PRODUCTS products, each revised once; returns the store's position."""
    admin = shop.admin()
    for n in range(PRODUCTS):
        product = new_product(shop, price=100 + n)
        answer = shop.http.put(
            f"/products/{product}",
            json={"name": f"Kettle {n}", "description": "", "price": 100 + n, "stock": 5},
            headers={**admin, "If-Match": '"1"'},
        )
        assert answer.status_code == 200, answer.text
    top = shop.services.shop.position()
    assert shop.services.positions.wait("catalog", top, 30)
    return top


def leftovers(shop: ShopUnderTest) -> list[str]:
    engine = shop.services.read_engine
    names = inspect(engine).get_table_names()
    tables = [name for name in names if name.endswith(("__next", "__old"))]
    with engine.connect() as conn:
        rows = conn.execute(select(projection_positions.c.name)).scalars().all()
    return tables + [name for name in rows if name.endswith("~next")]


def catalog_names(shop: ShopUnderTest, after: int) -> list[str]:
    listed = shop.read("/products", after=after, params={"limit": 100})
    assert listed.status_code == 200, listed.text
    return sorted(item["name"] for item in listed.json()["items"])


def test_a_new_version_is_built_beside_the_live_one_and_switched_at_start_up(
    shop: ShopUnderTest,
) -> None:
    list_products(shop)
    originals = sorted(f"Kettle {n}" for n in range(PRODUCTS))
    capitals = sorted(name.upper() for name in originals)
    engine = shop.services.read_engine
    assert read_version(engine, "catalog") == ViewVersion("catalog", OLD, LIVE, None, None)
    stop_fixture_worker(shop)  # a deployment: the old worker goes, the new one starts

    with ExitStack() as stack:
        # Reading the old view before the new worker starts (a small build can be switched
        # in before a reader started with it has read anything).
        reader = stack.enter_context(Reader(shop.url))
        poll_until(lambda: len(reader.answers) >= 3, 30, "the reader to read the old view")
        new = stack.enter_context(worker(shop, ShoutingCatalog()))
        runner = new.runner("catalog")
        poll_until(
            lambda: read_version(engine, "catalog").version == NEW,  # type: ignore[union-attr]
            120,
            "the new version of the catalog to be switched in",
        )
        seen = len(reader.answers)
        poll_until(lambda: len(reader.answers) >= seen + 3, 30, "reads of the new view")

        # Every answer, all along: every product, all of one build or all of the other.
        assert not reader.errors, reader.errors[:3]
        for total, names in reader.answers:
            assert total == PRODUCTS
            assert sorted(names) in (originals, capitals), names
        kinds = [sorted(names) == capitals for _, names in reader.answers]
        assert kinds[0] is False and kinds[-1] is True
        assert kinds == sorted(kinds)  # old, then new, never back

        # Switched: the version row, no shadow left behind, and the new worker follows on.
        assert read_version(engine, "catalog") == ViewVersion("catalog", NEW, LIVE, None, None)
        # On MariaDB the old tables are dropped after the switch is recorded, one by one, each
        # once the readers using it let go.
        poll_until(lambda: leftovers(shop) == [], 30, "the old tables to be dropped")

        # ... and the tables are as the migrations made them, index names included (renamed
        # back right after the drops).
        def schema_differences() -> list[object]:
            with engine.connect() as conn:
                return schema.differences(conn, schema.VIEWS, views_schema())

        poll_until(lambda: schema_differences() == [], 30, "the indexes' own names")
        created = shop.create_product(name="After the switch")
        assert "AFTER THE SWITCH" in catalog_names(shop, int(created.headers["X-Event-Position"]))
        assert runner.status.state == State.RUNNING

        # A worker still running the old version stands by: it must not write the new view.
        with worker(shop, CatalogView()) as old:
            poll_until(
                lambda: old.runner("catalog").status.state == State.STANDBY,
                30,
                "the old-version worker to stand by",
            )
            created = shop.create_product(name="Later still")
            names = catalog_names(shop, int(created.headers["X-Event-Position"]))
            assert "LATER STILL" in names and "Later still" not in names


class Crash(BaseException):
    """The process dies here (nothing after it runs, not even the rebuild's own recovery)."""


def test_a_switch_cut_short_is_recovered_by_the_next_worker(
    shop: ShopUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    top = list_products(shop)
    engine = shop.services.read_engine

    def crash(*_: object, **__: object) -> None:
        raise Crash

    # The rebuild dies in the middle of its switch: after the RENAME on MariaDB (the tables
    # are swapped, the position and version rows are not), inside the one transaction on
    # SQLite (all of it rolled back).
    with monkeypatch.context() as patch:
        patch.setattr(SqlTarget, "_bookkeeping", crash)
        patch.setattr(BlueGreen, "recover", lambda self: None)
        store = store_for(shop.services, ShoutingCatalog())
        job = BlueGreen(
            shop.services.shop.recorder,
            target_for(store, engine),
            engine,
            "rebuild@crashing",
            lease_ttl=3.0,
        )
        with pytest.raises(Crash):
            job.run(Lease(engine, "catalog", "rebuild@crashing", 3.0))
    fenced = read_version(engine, "catalog")
    assert fenced is not None and (fenced.state, fenced.next_version) == (SWITCHING, NEW)
    renamed = engine.dialect.name != "sqlite"
    assert ("catalog_products__next" in inspect(engine).get_table_names()) is not renamed

    # The fence holds every live writer back: no commit, not even a move of the position.
    live = store_for(shop.services, CatalogView())
    at = live.position()
    with pytest.raises(PositionConflict, match="or is being switched"):
        live.advance(at, at)
    stop_fixture_worker(shop)
    created = shop.create_product(name="During the fence")
    during = int(created.headers["X-Event-Position"])
    assert shop.services.positions.sql_position("catalog") <= top < during

    # The next worker of the new version finishes (MariaDB) or lifts and redoes (SQLite) the switch.
    with worker(shop, ShoutingCatalog()):
        names = catalog_names(shop, during)
    assert len(names) == PRODUCTS + 1 and all(name == name.upper() for name in names)
    assert "DURING THE FENCE" in names
    assert read_version(engine, "catalog").version == NEW  # type: ignore[union-attr]
    assert leftovers(shop) == []


def test_a_redis_view_is_rebuilt_beside_the_live_one(shop: ShopUnderTest) -> None:
    if not shop.settings.redis_url:
        pytest.skip("the Redis hot view needs the services backend")
    products = [new_product(shop, price=100 + n) for n in range(10)]
    top = shop.services.shop.position()
    assert shop.services.positions.wait("product_cache", top, 30, in_redis=True)
    redis = shop.services.redis
    assert redis is not None
    cache = ProductCache(shop.settings.redis_namespace)

    def hashes() -> dict[Any, Any]:
        return {key: redis.hgetall(key) for key in redis.scan_iter(match=cache.key() + ":*")}

    before = hashes()
    assert len(before) == 10
    stray = cache.key(uuid.uuid4())
    redis.hset(stray, mapping={"name": "left by a bug"})  # the rebuilt view drops it

    failures: list[str] = []
    stop = threading.Event()

    def read() -> None:
        with httpx.Client(base_url=shop.url, timeout=30) as http:
            while not stop.is_set():
                for product in products:
                    answer = http.get(f"/products/{product}")
                    if answer.status_code != 200:
                        failures.append(f"{answer.status_code} {answer.text}")

    reading = threading.Thread(target=read, daemon=True)
    reading.start()
    try:
        result = rebuild(shop.services, "product_cache", batch_size=1)
    finally:
        stop.set()
        reading.join(30)
    assert not failures, failures[:3]
    assert result.position == top == shop.services.positions.redis_position("product_cache")
    assert hashes() == before
    assert not list(redis.scan_iter(match=cache.key() + "~next*"))
    version = read_version(shop.services.read_engine, "product_cache")
    assert version is not None and (version.version, version.state) == (1, LIVE)


def test_shadow_index_names_differ_from_the_live_ones() -> None:
    """SQLite's index names are global: a shadow's must not collide with the live table's,
    nor with those the live table took over from the previous shadow."""
    from sqlalchemy import MetaData

    first = bluegreen.shadow_table(catalog_products, MetaData(), "aaaa")
    second = bluegreen.shadow_table(catalog_products, MetaData(), "bbbb")
    names = {index.name for index in (*first.indexes, *second.indexes)}
    live = {index.name for index in catalog_products.indexes}
    assert len(names) == 2 * len(catalog_products.indexes) and not names & live
    assert first.name == "catalog_products__next"
