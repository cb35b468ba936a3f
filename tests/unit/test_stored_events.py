"""Events are forever: events stored by earlier code must still load.

tests/fixtures/stored_events_v1.json holds the stored form (topic + state) of every event
class as first written: accounts, a product's life, a cart, an order paid, part-refunded,
disputed, fulfilled and then left with a refund of unknown outcome, one paid after a
failure, and one cancelled. Never regenerate it: when an event's shape changes, add a
class_version and an upcaster, and keep this file as it is (append samples of new event
classes instead).

Appended since: a checkout of carts per checkout (the lifetime cart closed by a
CartCheckedOut v2 that names the next cart, the account's NewCartStarted, the next cart
opened) and a logout (TokenRevoked); product images (two added, the first removed) and a
cart line set to a quantity (ItemQuantityChanged).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain import access, accounts, carts, orders, payment_records, products
from domain.access import TokenRevocation, revocation_id_for
from domain.accounts import Account
from domain.carts import Cart, cart_id_for, next_cart_id_for
from domain.orders import Order
from domain.payment_records import StripeEventReceipt, receipt_id_for
from domain.products import Product
from domain.shop import Shop

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "stored_events_v1.json"
USER = UUID("00000000-0000-4000-8000-000000000001")
PAID = UUID("00000000-0000-4000-8000-0000000000aa")
RETRIED = UUID("00000000-0000-4000-8000-0000000000bb")
CANCELLED = UUID("00000000-0000-4000-8000-0000000000cc")
# Placed by the code that made carts per checkout.
AFTER_CARTS = UUID("00000000-0000-4000-8000-0000000000dd")


@pytest.fixture(scope="module")
def stored() -> list[dict[str, object]]:
    return list(json.loads(FIXTURE.read_text()))


@pytest.fixture(scope="module")
def shop(stored: list[dict[str, object]]) -> Shop:
    """A fresh store holding exactly the fixture's events, written as they were stored."""
    app = Shop(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"})
    app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=UUID(str(row["originator_id"])),
                originator_version=int(str(row["originator_version"])),
                topic=str(row["topic"]),
                state=base64.b64decode(str(row["state"])),
            )
            for row in stored
        ]
    )
    return app


# The library gives every aggregate these base event classes; they are never stored.
_BASES = {"Event", "Created", "Snapshot"}


def _event_classes() -> set[str]:
    found = set()
    for module in (access, accounts, carts, orders, payment_records, products):
        for aggregate in vars(module).values():
            if isinstance(aggregate, type) and aggregate.__module__ == module.__name__:
                for value in vars(aggregate).values():
                    concrete = isinstance(value, type) and value.__name__ not in _BASES
                    if concrete and issubclass(value, DomainEvent):
                        found.add(get_topic(value))
    return found


def test_every_event_class_has_a_stored_sample(stored: list[dict[str, object]]) -> None:
    classes = _event_classes()
    assert len(classes) >= 30  # the discovery itself works
    missing = classes - {str(row["topic"]) for row in stored}
    assert not missing, f"add stored samples of these new event classes: {sorted(missing)}"


def test_every_stored_event_still_decodes(shop: Shop, stored: list[dict[str, object]]) -> None:
    notifications = shop.recorder.select_notifications(start=1, limit=len(stored) + 1)
    assert len(notifications) == len(stored)
    for notification in notifications:
        event = shop.mapper.to_domain_event(notification)
        assert get_topic(type(event)) == notification.topic


def test_aggregates_rebuild_from_the_stored_events(shop: Shop) -> None:
    account = shop.load(Account, USER)
    assert account.role == "support"
    assert account.cart_id == next_cart_id_for(USER, AFTER_CARTS)

    # The lifetime cart was checked out three times by earlier code (v1: emptied, used again) and
    # then closed by a checkout that names its successor (v2).
    lifetime = shop.load(Cart, cart_id_for(USER))
    assert (lifetime.lines, lifetime.next_cart_id) == ({}, account.cart_id)
    assert shop.load(Cart, cart_id_for(USER), version=9).next_cart_id is None
    assert not shop.load(Cart, cart_id_for(USER), version=10).closed
    checkouts = [
        e for e in shop.events.get(cart_id_for(USER)) if isinstance(e, Cart.CartCheckedOut)
    ]
    assert [e.next_cart_id for e in checkouts] == [None, None, None, account.cart_id]
    current = shop.cart_of(USER)
    assert current is not None and current.id == account.cart_id
    assert (current.user_id, list(current.lines.values())) == (USER, [3])  # set from 2 to 3
    assert shop.load(Order, AFTER_CARTS).total == 2499

    revocation = shop.load(TokenRevocation, revocation_id_for("fixture-jti-1"))
    assert (revocation.jti, revocation.user_id) == ("fixture-jti-1", USER)
    assert revocation.expires_at.isoformat() == "2026-11-25T18:00:00+00:00"

    paid = shop.load(Order, PAID)
    assert paid.status == "fulfilled"
    assert paid.tracking_note == "DHL 123"
    assert paid.total == 4998
    assert paid.amount_refunded == 1000
    assert paid.refundable == 4998 - 1000
    assert paid.refunds["r2"]["state"] == "failed"
    assert paid.refunds["r1"]["state"] == "unknown"
    assert paid.disputes == {"dp_1": "won"}

    retried = shop.load(Order, RETRIED)
    assert retried.status == "paid"
    assert retried.reserved and not retried.stock_shortfall

    cancelled = shop.load(Order, CANCELLED)
    assert cancelled.status == "cancelled"
    assert not cancelled.reserved

    product = shop.load(Product, UUID(str(paid.lines[0]["product_id"])))
    assert (product.name, product.price) == ("Teapot XL", 2499)
    assert [(i["id"], i["sha256"], i["content_type"]) for i in product.images] == [
        ("00000000-0000-4000-8000-0000000000e2", "c" * 64, "image/webp")
    ]
    assert shop.load(Product, product.id, version=12).images[0]["width"] == 1600
    assert shop.load(Product, product.id, version=11).images == []
    # 6 on hand, 2 for the fulfilled order, 1 for the order paid after its failure, 1 for the
    # order placed after carts became per checkout.
    assert product.stock == 2

    receipt = shop.load(StripeEventReceipt, receipt_id_for("evt_2"))
    assert receipt.deliveries == 2
    assert receipt.order_id == PAID
