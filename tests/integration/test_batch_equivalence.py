"""For any history, a view built in batches of any size (and resumed at any position) holds
what the aggregates hold: batching changes how many statements a view costs, never its rows.

Hypothesis draws the histories; each example uses the library's in-memory event store and a
real SQLite read store in a temporary directory.
"""

from __future__ import annotations

import tempfile
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from domain.carts import Cart
from domain.errors import DomainError
from domain.products import Product
from domain.shop import Shop
from infra.db import make_engine
from projections.carts import CartView, cart_lines
from projections.catalog import CatalogView, catalog_products
from workers.replay import replay
from workers.view_stores import SqlViewStore

PRODUCTS = 3
CARTS = 2

products = st.integers(0, PRODUCTS - 1)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("list"), products),
        st.tuples(st.just("price"), products, st.integers(0, 5000)),
        st.tuples(st.just("stock"), products, st.integers(0, 50)),
        st.tuples(st.just("reserve"), products, st.integers(1, 5)),
        st.tuples(st.just("release"), products, st.integers(1, 5)),
        st.tuples(st.just("delist"), products),
        st.tuples(st.just("add"), st.integers(0, CARTS - 1), products, st.integers(1, 3)),
        st.tuples(st.just("remove"), st.integers(0, CARTS - 1), products),
        st.tuples(st.just("checkout"), st.integers(0, CARTS - 1)),
    ),
    min_size=1,
    max_size=60,
)


def record(app: Shop, ops: list[tuple[Any, ...]]) -> tuple[list[Product | None], list[Cart]]:
    """Run the operations through the aggregates, one transaction each; refused ones are
    left out, as the command API would refuse them."""
    stock: list[Product | None] = [None] * PRODUCTS
    carts = [Cart(uuid.uuid4()) for _ in range(CARTS)]
    app.save(*carts)
    for op in ops:
        kind, *args = op
        try:
            if kind == "list":
                if stock[args[0]] is None:
                    stock[args[0]] = Product.list_new(
                        name=f"P{args[0]}", description="", price=100, currency="EUR", stock=10
                    )
                    app.save(stock[args[0]])
                continue
            if kind in ("add", "remove", "checkout"):
                cart = carts[args[0]]
                if kind == "checkout":
                    cart.check_out(uuid.uuid4(), next_cart_id=uuid.uuid4())
                else:
                    product = stock[args[1]]
                    if product is None:
                        continue
                    if kind == "add":
                        cart.add(product.id, args[2], in_stock=1000)
                    else:
                        cart.remove(product.id)
                app.save(cart)
                continue
            product = stock[args[0]]
            if product is None:
                continue
            if kind in ("price", "stock"):
                product.revise(
                    name=product.name,
                    description=product.description,
                    price=args[1] if kind == "price" else product.price,
                    currency=product.currency,
                    stock=args[1] if kind == "stock" else product.stock,
                )
            elif kind == "reserve":
                product.reserve(uuid.uuid4(), args[1])
            elif kind == "release":
                product.release(uuid.uuid4(), args[1])
            else:
                product.delist()
            app.save(product)
        except DomainError:
            continue
    return stock, carts


def catalog_rows(engine: Engine) -> dict[uuid.UUID, tuple[Any, ...]]:
    with engine.connect() as conn:
        return {
            row.id: (row.name, row.price, row.stock, row.version, bool(row.delisted))
            for row in conn.execute(select(catalog_products))
        }


def cart_rows(engine: Engine) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    with engine.connect() as conn:
        return {
            (row.cart_id, row.product_id): row.quantity for row in conn.execute(select(cart_lines))
        }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations, batch_size=st.integers(1, 40), pause=st.floats(0, 1))
def test_batched_views_hold_what_the_aggregates_hold(
    ops: list[tuple[Any, ...]], batch_size: int, pause: float
) -> None:
    app = Shop(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    stock, carts = record(app, ops)
    head = app.recorder.max_notification_id() or 0
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/views.db")
        try:
            for projection in (CatalogView(), CartView()):
                store = SqlViewStore(engine, projection, app.mapper)
                store.setup()
                # Stop somewhere, then resume: rows written by one run are read by the next.
                first = replay(app.recorder, store, batch_size, until=int(head * pause))
                assert first.position == int(head * pause)
                assert replay(app.recorder, store, batch_size).position == head
            wanted = {
                p.id: (p.name, p.price, p.stock, p.version, p.delisted)
                for p in stock
                if p is not None
            }
            assert catalog_rows(engine) == wanted
            lines = {
                (cart.id, product_id): quantity
                for cart in carts
                for product_id, quantity in cart.lines.items()
            }
            assert cart_rows(engine) == lines
        finally:
            engine.dispose()
