"""A command costs the same however old its aggregates are, on the real stores.

A product sold many times and a user with many orders are loaded, and checked out again, by
a process that has never seen them (a cold cache: snapshots only) and by one that has (its
cache, fast-forwarded). What is counted is the stored events and snapshots the recorders
return, not time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from domain.accounts import Account
from domain.carts import Cart
from domain.products import Product
from domain.shop import Shop
from infra.services import Services
from infra.settings import Settings

ORDERS = 120
INTERVAL = Shop.snapshotting_intervals[Product]


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    services = Services(settings)
    services.setup()
    yield services
    services.close()


def counting_reads(shop: Shop) -> Callable[[], int]:
    """Count the stored events and snapshots the recorders return from here on."""
    returned = [0]
    assert shop.snapshots is not None
    for recorder in (shop.events.recorder, shop.snapshots.recorder):
        original = recorder.select_events

        def select_events(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            events = _original(*args, **kwargs)
            returned[0] += len(events)
            return events

        recorder.select_events = select_events  # type: ignore[method-assign]
    return lambda: returned[0]


def test_a_long_sold_product_and_a_frequent_buyer_load_in_bounded_reads(
    services: Services, settings: Settings
) -> None:
    shop = services.shop
    user, _ = services.accounts.register("buyer" + uuid.uuid4().hex[:6], "b@example.com", "pw")
    product, _ = shop.list_product(
        name="Tea", description="", price=250, currency="EUR", stock=10**6
    )
    first_cart = shop.current_cart_id(user.id)
    for _ in range(ORDERS):
        shop.add_to_cart(user.id, product.id, 1)
        shop.place_order(user.id, uuid.uuid4())
    assert shop.load(Product, product.id).version == ORDERS + 1
    assert shop.load(Account, user.id).version == ORDERS + 1
    assert shop.current_cart_id(user.id) != first_cart

    # A process that has never loaded them (another API process, or this one restarted).
    cold = Services(settings)
    try:
        reads = counting_reads(cold.shop)
        loaded = cold.shop.load(Product, product.id)
        assert loaded.stock == 10**6 - ORDERS
        assert reads() <= INTERVAL  # the latest snapshot and the events after it
        before = reads()
        account = cold.shop.load(Account, user.id)
        assert account.cart_id == shop.current_cart_id(user.id)
        assert reads() - before <= INTERVAL
        # A whole checkout: account, cart, order id, product; then writes.
        before = reads()
        cold.shop.add_to_cart(user.id, product.id, 2)
        order, _, placed = cold.shop.place_order(user.id, uuid.uuid4())
        assert placed and order.total == 500
        assert reads() - before <= 2 * INTERVAL
    finally:
        cold.close()

    # The process that did the selling has them cached: a checkout reads only what is new.
    reads = counting_reads(shop)
    shop.add_to_cart(user.id, product.id, 1)
    shop.place_order(user.id, uuid.uuid4())
    # The other process's checkout (2 events per aggregate at most) plus this one's own.
    assert reads() <= 12, reads()
    assert shop.load(Product, product.id).stock == 10**6 - ORDERS - 3
    assert shop.load(Cart, first_cart).closed
