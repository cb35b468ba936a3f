"""Batches are written with a few multi-row statements, not a statement (or a SELECT) per
event: counted at the read store's cursor, never timed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, event, select

from domain.products import Product
from infra.db import make_engine
from infra.read_store import views_metadata
from infra.services import Services
from infra.settings import Settings
from projections.batch import ViewBatch
from projections.catalog import CatalogView, catalog_products
from projections.orders import OrderViews, order_history
from tests.support.servers import ShopUnderTest
from tests.support.shopping import add, new_product, paid_order, person
from workers.replay import replay, reset
from workers.view_stores import SqlViewStore
from workers.view_stores import _write as write


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements sent to `engine` meanwhile (an executemany counts once)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def kinds(seen: list[str]) -> list[str]:
    return [statement.split()[0].upper() for statement in seen]


def test_catalog_batches_take_a_few_statements_whatever_their_size(
    shop_without_worker: ShopUnderTest, settings: Settings
) -> None:
    app = shop_without_worker.services.shop
    products = []
    for n in range(40):
        product = Product.list_new(
            name=f"P{n}", description="", price=100 + n, currency="EUR", stock=50
        )
        # Name, price and stock change: three more events for the same row.
        product.revise(name=f"P{n}+", description="d", price=200 + n, currency="EUR", stock=49)
        products.append(product)
    head = app.store(*products)
    assert head >= 160

    services = Services(settings)
    try:
        store = SqlViewStore(services.read_engine, CatalogView(), services.shop.mapper)
        store.setup()
        with statements(services.read_engine) as seen:
            result = replay(services.shop.recorder, store, batch_size=1000)
        assert result.position == head
        # The position, one multi-row INSERT of the 40 rows and one of their search terms,
        # the position's compare-and-set.
        assert kinds(seen) == ["SELECT", "INSERT", "INSERT", "UPDATE"], seen
        assert "catalog_products" in seen[1] and "catalog_terms" in seen[2]
        with services.read_engine.connect() as conn:
            rows = {row.id: row for row in conn.execute(select(catalog_products))}
        assert {row.name for row in rows.values()} == {f"P{n}+" for n in range(40)}
        assert {(row.stock, row.version) for row in rows.values()} == {(49, 4)}

        # Changes to rows written by an earlier batch: ONE select loads them all, one
        # multi-row upsert writes them back.
        for product in products:
            product.reserve(uuid.uuid4(), 2)
            app.store(product)
        with statements(services.read_engine) as seen:
            result = replay(services.shop.recorder, store, batch_size=1000)
        assert result.position == head + 40
        assert kinds(seen) == ["SELECT", "SELECT", "INSERT", "UPDATE"], seen
        assert "catalog_products" in seen[1] and " IN " in seen[1]
        assert "ON DUPLICATE KEY UPDATE" in seen[2] or "ON CONFLICT" in seen[2]
        with services.read_engine.connect() as conn:
            stocks = set(conn.execute(select(catalog_products.c.stock)).scalars())
        assert stocks == {47}
    finally:
        services.close()


def test_order_history_needs_no_select_per_event(shop: ShopUnderTest) -> None:
    """Each history line shows money in the order's currency: found in the batch, in memory."""
    paid_order(shop, price=1250, quantity=2)
    paid_order(shop, price=300, quantity=1)
    browsing = person(shop)
    assert add(shop, browsing, new_product(shop), 1).status_code == 201
    top = shop.services.shop.position()
    assert shop.services.positions.wait("orders", top, 30)
    services = Services(shop.settings)
    try:
        with services.read_engine.connect() as conn:
            live = sorted(tuple(row) for row in conn.execute(select(order_history)))
        replayed_into = SqlViewStore(services.read_engine, OrderViews(), services.shop.mapper)
        assert shop.worker is not None
        shop.worker.stop_event.set()  # let go of the lease: this test replays the view itself
        shop.worker.projections.join(15)
        reset(replayed_into)
        with statements(services.read_engine) as seen:
            result = replay(services.shop.recorder, replayed_into, batch_size=1000)
        assert result.position == top
        selects = [s for s in seen if s.upper().startswith("SELECT")]
        # The position only: the orders were placed in this batch, so their rows (and
        # currencies) are known without asking.
        assert len(selects) == 1 and "projection_positions" in selects[0], selects
        with services.read_engine.connect() as conn:
            rebuilt = sorted(tuple(row) for row in conn.execute(select(order_history)))
        assert rebuilt == live
        assert any("12.50" in row[6] or "25.00" in row[6] for row in rebuilt), rebuilt
    finally:
        services.close()


texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=texts,
    description=st.text(st.characters(exclude_categories=("Cs",))),
    price=st.integers(-(2**62), 2**62),
)
@example(name="50% off 'quoted' \\ \x00 😀", description='%s %(x)s "; DROP TABLE x; --', price=0)
def test_any_text_and_number_come_back_from_the_view_as_written(
    settings: Settings, name: str, description: str, price: int
) -> None:
    """The rows a batch writes (rendered by workers/mysql_rows.py on MySQL) read back equal,
    whatever the text: quotes, backslashes, percent signs, NULs, emoji."""
    engine = make_engine(settings.read_store_url)
    try:
        views_metadata.create_all(engine, tables=[catalog_products])
        now = datetime.now(UTC)
        row = {
            "id": uuid.uuid4(),
            "name": name,
            "description": description,
            "price": price,
            "currency": "EUR",
            "stock": 1,
            "version": 1,
            "delisted": False,
            "tax_class": "standard",
            "listed_position": 1,
            "created_at": now,
            "updated_at": now,
        }
        view = ViewBatch([catalog_products])
        view.insert(catalog_products, **row)
        with engine.begin() as conn:
            write(conn, view)
        with engine.connect() as conn:
            stored = conn.execute(
                select(catalog_products).where(catalog_products.c.id == row["id"])
            ).one()
        assert dict(stored._mapping) == row
        # And once more as a change to a row that is there (the upsert).
        view = ViewBatch([catalog_products])
        view.loaded(catalog_products.c.id, [row["id"]], [dict(row)])
        view.update(catalog_products, row["id"], name=description[:200], description=name)
        with engine.begin() as conn:
            write(conn, view)
        with engine.connect() as conn:
            stored = conn.execute(
                select(catalog_products).where(catalog_products.c.id == row["id"])
            ).one()
        assert (stored.name, stored.description) == (description[:200], name)
    finally:
        engine.dispose()


def test_a_set_based_statement_runs_in_the_batch_after_its_rows(settings: Settings) -> None:
    """ViewBatch.execute: a range DELETE (as a view pruning expired rows needs) runs in the
    batch's own transaction, after the rows the batch wrote, and rolls back with it."""
    engine = make_engine(settings.read_store_url)
    try:
        views_metadata.create_all(engine, tables=[catalog_products])
        now = datetime.now(UTC)

        def product(position: int) -> dict[str, Any]:
            return {
                "id": uuid.uuid4(),
                "name": f"P{position}",
                "description": "",
                "price": 1,
                "currency": "EUR",
                "stock": 1,
                "version": 1,
                "delisted": False,
                "listed_position": position,
                "created_at": now,
                "updated_at": now,
            }

        view = ViewBatch([catalog_products])
        for position in (1, 2, 3, 4):
            view.insert(catalog_products, **product(position))
        view.execute(delete(catalog_products).where(catalog_products.c.listed_position < 3))
        with engine.begin() as conn:
            write(conn, view)
        with engine.connect() as conn:
            left = conn.execute(select(catalog_products.c.listed_position)).scalars()
            assert sorted(left) == [3, 4]

        view = ViewBatch([catalog_products])
        view.insert(catalog_products, **product(5))
        view.execute(delete(catalog_products))
        with pytest.raises(RuntimeError), engine.begin() as conn:
            write(conn, view)
            raise RuntimeError("the batch fails after writing")
        with engine.connect() as conn:
            left = conn.execute(select(catalog_products.c.listed_position)).scalars()
            assert sorted(left) == [3, 4]
    finally:
        engine.dispose()
