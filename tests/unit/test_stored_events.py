"""Events are forever: every version of every event ever stored must still load.

The fixtures (tests/support/stored_events.py says where they are and how to add one) hold the
stored form (topic + state) of every event class as first written: accounts, a product's
life, a cart, an order paid, part-refunded, disputed, fulfilled and then left with a refund of
unknown outcome, one paid after a failure, and one cancelled. Never regenerate them: when an
event's shape changes, add a class_version and an upcaster, and add a new fixture file with
samples of the new version; the generic tests below cover it with no change of their own.

Appended since: shipping, tax and discount codes with an order's figures (0003); Stripe's
times on its facts and counted repeat deliveries (0002); before
that, a checkout of carts per checkout (the lifetime cart closed by a
CartCheckedOut v2 that names the next cart, the account's NewCartStarted, the next cart
opened) and a logout (TokenRevoked); product images (two added, the first removed) and a
cart line set to a quantity (ItemQuantityChanged).
"""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic

from domain.access import TokenRevocation, revocation_id_for
from domain.accounts import Account
from domain.carts import Cart, cart_id_for, next_cart_id_for
from domain.discounts import DiscountCode, code_id_for
from domain.events import class_version, event_classes, field_names, missing_upcasters
from domain.orders import Order
from domain.payment_records import StripeEventReceipt, receipt_id_for
from domain.products import Product
from domain.shipping import BOOK_ID as SHIPPING_BOOK_ID
from domain.shipping import ShippingBook
from domain.shop import Shop
from domain.taxes import BOOK_ID as TAX_BOOK_ID
from domain.taxes import TaxBook
from tests.support.stored_events import StoredSample, load_samples

USER = UUID("00000000-0000-4000-8000-000000000001")
PAID = UUID("00000000-0000-4000-8000-0000000000aa")
RETRIED = UUID("00000000-0000-4000-8000-0000000000bb")
CANCELLED = UUID("00000000-0000-4000-8000-0000000000cc")
# Placed by the code that made carts per checkout.
AFTER_CARTS = UUID("00000000-0000-4000-8000-0000000000dd")
# Placed by the code that derives payment state from merged knowledge (0001-…json): declined,
# its units sold to another shopper, paid, disputed (closed lost before created), restocked.
KNOWLEDGE = UUID("00000000-0000-4000-8000-0000000001a1")
# Placed by the code of issue 14 (0002-…json): Stripe's times on its facts (a full refund that
# succeeded, then failed), and a repeated delivery noted at 2 and 4 deliveries.
TIMES = UUID("00000000-0000-4000-8000-0000000002a2")
# Placed by the code of issue 15 (0003-…json): shipping methods, tax rates, discount codes, an
# order with its figures (two rates, SAVE10, standard shipping) and one cancelled unpaid.
SELLING = UUID("00000000-0000-4000-8000-0000000003a2")
SELLING_CANCELLED = UUID("00000000-0000-4000-8000-0000000003a3")


@pytest.fixture(scope="module")
def stored() -> list[StoredSample]:
    return load_samples()


@pytest.fixture(scope="module")
def shop(stored: list[StoredSample]) -> Shop:
    """A fresh store holding exactly the fixtures' events, written as they were stored."""
    app = Shop(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"})
    app.recorder.insert_events([sample.stored_event() for sample in stored])
    return app


def test_every_event_class_is_found() -> None:
    classes = event_classes()
    assert len(classes) >= 30  # the discovery itself works
    assert get_topic(Order.OrderPlaced) in classes and get_topic(Cart.CartCheckedOut) in classes
    assert not any(cls.__name__ in ("Event", "Created", "Snapshot") for cls in classes.values())


def test_every_version_of_every_event_class_has_a_stored_sample(
    stored: list[StoredSample],
) -> None:
    """Samples of version 1 up to the current one: a bumped class_version needs samples of
    the new version, and the old samples stay."""
    seen: dict[str, set[int]] = defaultdict(set)
    for sample in stored:
        seen[sample.topic].add(sample.class_version)
    missing = [
        f"{topic} v{version}"
        for topic, cls in sorted(event_classes().items())
        for version in range(1, class_version(cls) + 1)
        if version not in seen[topic]
    ]
    assert not missing, f"add stored samples (tests/support/stored_events.py): {missing}"
    unknown = sorted(set(seen) - set(event_classes()))
    assert not unknown, f"stored topics no class answers to (register_topic?): {unknown}"


def test_every_versioned_class_upcasts_each_step() -> None:
    classes = event_classes().items()
    gaps = {topic: gap for topic, cls in classes if (gap := missing_upcasters(cls))}
    assert not gaps, f"class_version needs an upcaster per step: {gaps}"


def test_every_stored_event_decodes_into_the_current_shape(
    shop: Shop, stored: list[StoredSample]
) -> None:
    """Each sample decodes, through its upcasters, into exactly the fields its class has now:
    a field added or dropped without an upcaster fails here, not in a projection later."""
    notifications = shop.recorder.select_notifications(start=1, limit=len(stored) + 1)
    assert len(notifications) == len(stored)
    for sample, notification in zip(stored, notifications, strict=True):
        event = shop.mapper.to_domain_event(notification)
        assert get_topic(type(event)) == notification.topic
        where = f"{sample.topic} v{sample.class_version} from {sample.source}"
        assert set(vars(event)) == field_names(type(event)), where


def test_upcasting_a_version_1_checkout_fills_the_new_field(
    shop: Shop, stored: list[StoredSample]
) -> None:
    """The one shape change so far: CartCheckedOut v1 had no next cart."""
    versions = {s.class_version for s in stored if s.topic == get_topic(Cart.CartCheckedOut)}
    assert versions == {1, 2}
    assert class_version(Cart.CartCheckedOut) == 2


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


def test_an_order_of_merged_knowledge_rebuilds(shop: Shop) -> None:
    order = shop.load(Order, KNOWLEDGE)
    assert (order.status, order.reserved, order.needs_stock) == ("paid", True, False)
    assert order.knowledge.intents == {"pi_fixture_knowledge": "succeeded"}
    assert (order.disputes, order.amount_lost) == ({"dp_fixture_knowledge": "lost"}, 3000)
    # After the success, before the restock, it needed stock.
    waiting = [e for e in shop.events.get(KNOWLEDGE) if isinstance(e, Order.ReservationRenewed)]
    assert [e.complete for e in waiting] == [False, True]
    product = shop.load(Product, UUID(str(order.lines[0]["product_id"])))
    assert (product.stock, product.awaiting) == (0, [])


def test_an_order_whose_refund_failed_after_it_counted_rebuilds_paid(shop: Shop) -> None:
    order = shop.load(Order, TIMES)
    assert (order.status, order.amount_refunded, order.refundable) == ("paid", 0, 3000)
    assert order.reserved  # the units went back with the refund, and came back with its failure
    assert order.knowledge.charge == (1796000101, 3000)
    assert order.refunds["r1"]["state"] == "failed"
    receipt = shop.load(StripeEventReceipt, receipt_id_for("evt_times_paid"))
    assert (receipt.deliveries, receipt.version) == (4, 3)


def test_an_order_with_its_figures_and_the_books_it_was_priced_by_rebuild(shop: Shop) -> None:
    order = shop.load(Order, SELLING)
    assert (order.subtotal, order.discount, order.shipping, order.tax, order.total) == (
        2998,
        300,
        490,
        424,
        3188,
    )
    assert order.tax_by_rate == {"1900": 365, "700": 59}
    assert order.discount_code == "SAVE10" and order.shipping_method is not None
    assert order.shipping_address_id == UUID("00000000-0000-4000-8000-0000000003a4")
    code = shop.load(DiscountCode, code_id_for("SAVE10"))
    assert code.uses == 1 and code.terms.max_uses == 100  # the cancelled order gave its use back
    assert shop.load(Order, SELLING_CANCELLED).status == "cancelled"
    assert shop.find(DiscountCode, code_id_for("OLD")).retired  # type: ignore[union-attr]
    book = shop.load(ShippingBook, SHIPPING_BOOK_ID)
    assert [m["name"] for m in book.methods.values()] == ["Standard"]
    taxes = shop.load(TaxBook, TAX_BOOK_ID)
    assert taxes.rate_for("DE", "reduced") == 700 and taxes.rate_for("AT", "standard") == 0
    reduced = [line for line in order.lines if line["rate_bp"] == 700]
    assert shop.load(Product, UUID(reduced[0]["product_id"])).tax_class == "reduced"
