"""The Cart and Order aggregates' rules with no I/O, the Shop's stock settlement on an
in-memory store, and stored events of today's shapes that must load forever."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from application.webhooks import receive_stripe_event
from domain.carts import MAX_LINE_QUANTITY, Cart, cart_id_for, next_cart_id_for
from domain.errors import ConcurrentUpdate, InvalidCommand, NotFound, StateConflict
from domain.orders import Order
from domain.payment_records import StripeEventReceipt, receipt_id_for
from domain.products import Product
from domain.shop import Shop
from domain.stripe_facts import StripeFact, read_stripe_event

USER = UUID("00000000-0000-4000-8000-000000000001")
PRODUCT = UUID("52054717-ec0a-419a-9613-947ef2cd3c36")


@pytest.fixture
def shop() -> Iterator[Shop]:
    app = Shop(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def new_order(total: int = 3000) -> Order:
    line = {"product_id": str(PRODUCT), "name": "Teapot", "unit_price": total, "quantity": 1}
    order = Order.place(uuid.uuid4(), USER, [line], total, "EUR", str(USER))
    order.attach_payment_intent("pi_1", str(USER))
    return order


def fact(
    kind: str, obj: dict[str, Any], event_id: str | None = None, created: int = 1
) -> StripeFact:
    return read_stripe_event(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex}",
            "type": kind,
            "created": created,
            "data": {"object": obj},
        }
    )


def intent(status: str, order: Order | None = None, **extra: Any) -> dict[str, Any]:
    metadata = {"order_id": str(order.id)} if order else {}
    return {
        "id": "pi_1",
        "object": "payment_intent",
        "amount": 3000,
        "currency": "eur",
        "status": status,
        "metadata": metadata,
        **extra,
    }


def types(order: Order) -> list[str]:
    return [type(e).__name__ for e in order.collect_events()]


def paid(total: int = 3000) -> Order:
    order = new_order(total)
    order.receive(fact("payment_intent.succeeded", intent("succeeded")))
    order.collect_events()
    return order


# -- Cart ---------------------------------------------------------------------------------------


def test_a_cart_is_bound_to_its_user() -> None:
    other = uuid.uuid4()
    assert cart_id_for(USER) == cart_id_for(USER) != cart_id_for(other)
    assert Cart(user_id=USER).id == cart_id_for(USER)


def test_a_cart_line_must_fit_the_stock_and_the_limit() -> None:
    cart = Cart(user_id=USER)
    with pytest.raises(InvalidCommand):
        cart.add(PRODUCT, 0, in_stock=5)
    with pytest.raises(InvalidCommand, match="only 3 in stock"):
        cart.add(PRODUCT, 4, in_stock=3)
    with pytest.raises(InvalidCommand, match="out of stock"):
        cart.add(PRODUCT, 1, in_stock=0)
    cart.add(PRODUCT, 2, in_stock=3)
    with pytest.raises(InvalidCommand, match="would hold 4"):
        cart.add(PRODUCT, 2, in_stock=3)  # cumulative
    cart.add(PRODUCT, 1, in_stock=3)
    assert cart.lines == {PRODUCT: 3}
    with pytest.raises(InvalidCommand, match=f"at most {MAX_LINE_QUANTITY}"):
        cart.add(uuid.uuid4(), MAX_LINE_QUANTITY + 1, in_stock=10**6)
    added = [e for e in cart.collect_events() if isinstance(e, Cart.ItemAddedToCart)]
    assert [e.quantity for e in added] == [2, 1]  # refusals record nothing


def test_removing_and_checking_out_a_cart() -> None:
    cart = Cart(user_id=USER)
    with pytest.raises(NotFound):
        cart.remove(PRODUCT)
    cart.add(PRODUCT, 1, in_stock=1)
    cart.remove(PRODUCT)
    assert cart.lines == {}
    cart.add(PRODUCT, 1, in_stock=1)
    order_id, next_cart = uuid.uuid4(), next_cart_id_for(USER, uuid.uuid4())
    cart.check_out(order_id, next_cart)
    assert cart.lines == {} and cart.closed
    checked_out = cart.collect_events()[-1]
    assert isinstance(checked_out, Cart.CartCheckedOut)
    assert (checked_out.order_id, checked_out.next_cart_id) == (order_id, next_cart)
    # A closed cart takes nothing more: a command that found it retries with the next cart.
    for command in (
        lambda: cart.add(PRODUCT, 1, in_stock=1),
        lambda: cart.remove(PRODUCT),
        lambda: cart.check_out(uuid.uuid4(), uuid.uuid4()),
    ):
        with pytest.raises(ConcurrentUpdate):
            command()
    assert cart.collect_events() == []


def test_the_cart_after_an_order_has_an_id_derived_from_both() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    assert next_cart_id_for(USER, first) == next_cart_id_for(USER, first)
    assert (
        len({next_cart_id_for(USER, first), next_cart_id_for(USER, second), cart_id_for(USER)}) == 3
    )
    assert next_cart_id_for(USER, first) != next_cart_id_for(uuid.uuid4(), first)


# -- Stripe facts -------------------------------------------------------------------------------


def test_stripe_facts_are_read_defensively() -> None:
    read = fact(
        "charge.refunded",
        {
            "id": "ch_1",
            "object": "charge",
            "payment_intent": {"id": "pi_9"},
            "amount": True,  # not an int, whatever Python thinks
            "amount_refunded": 500,
            "currency": "eur",
        },
        event_id="evt_1",
    )
    assert (read.event_id, read.object_type, read.payment_intent_id) == ("evt_1", "charge", "pi_9")
    assert (read.amount, read.amount_refunded, read.currency) == (None, 500, "EUR")
    failed = fact(
        "payment_intent.payment_failed", intent("x", last_payment_error={"message": "no"})
    )
    assert failed.reason == "no" and failed.payment_intent_id == "pi_1"
    for bad in ({}, {"id": "evt", "type": "x"}, {"id": "evt", "type": "x", "data": {"object": 1}}):
        with pytest.raises(InvalidCommand):
            read_stripe_event(bad)
    with pytest.raises(InvalidCommand):
        read_stripe_event({"id": "e" * 256, "type": "x", "data": {"object": {}}})


# -- payment states by rank -------------------------------------------------------------------


def test_succeeded_outranks_everything_that_arrives_later() -> None:
    order = paid()
    assert (order.status, order.payment_state) == ("paid", "succeeded")
    order.receive(fact("payment_intent.processing", intent("processing")))
    order.receive(fact("payment_intent.payment_failed", intent("requires_payment_method")))
    order.receive(fact("payment_intent.canceled", intent("canceled")))
    order.receive(fact("payment_intent.succeeded", intent("succeeded")))  # another event id
    assert order.status == "paid" and order.holds_stock
    assert types(order) == ["StripeEventReceived"] * 4  # recorded, never applied


def test_processing_then_failure_then_success() -> None:
    order = new_order()
    order.receive(fact("payment_intent.processing", intent("processing")))
    assert (order.status, order.payment_state) == ("pending_payment", "processing")
    order.receive(fact("payment_intent.payment_failed", intent("requires_payment_method")))
    # Declined, still payable: the shopper tries again on the same order, which keeps its units.
    assert order.status == "payment_failed" and order.holds_stock
    order.receive(fact("payment_intent.processing", intent("processing")))  # older: ignored
    assert order.payment_state == "failed"
    order.receive(fact("payment_intent.succeeded", intent("succeeded")))
    assert order.status == "paid" and order.holds_stock
    assert "PaymentProcessing" not in types(order)[4:]


def test_stripe_cancels_only_an_unpaid_order() -> None:
    order = new_order()
    order.receive(fact("payment_intent.canceled", intent("canceled")))
    assert order.status == "cancelled" and not order.holds_stock
    assert paid().status == "paid"


# -- our own commands: state conflicts --------------------------------------------------------


def test_cancel_and_fulfil_follow_the_status() -> None:
    order = new_order()
    with pytest.raises(StateConflict, match="pending_payment cannot be fulfilled"):
        order.fulfil("", "admin")
    order.cancel("changed my mind", str(USER))
    assert order.status == "cancelled"
    with pytest.raises(StateConflict):
        order.cancel("again", str(USER))
    with pytest.raises(StateConflict):
        order.fulfil("", "admin")

    order = paid()
    with pytest.raises(StateConflict, match="paid cannot be cancelled"):
        order.cancel("too late", str(USER))
    order.fulfil("DHL 1", "admin")
    assert (order.status, order.tracking_note) == ("fulfilled", "DHL 1")
    with pytest.raises(StateConflict):
        order.fulfil("again", "admin")


def test_a_payment_intent_is_attached_once() -> None:
    order = new_order()
    order.attach_payment_intent("pi_other", "someone")
    assert order.payment_intent_id == "pi_1"
    assert types(order).count("PaymentIntentCreated") == 1


# -- refunds ----------------------------------------------------------------------------------


def test_refunds_are_bounded_by_what_remains() -> None:
    with pytest.raises(StateConflict, match="pending_payment cannot be refunded"):
        new_order().request_refund("r0", 100, "admin")
    order = paid(3000)
    with pytest.raises(InvalidCommand):
        order.request_refund("r0", 0, "admin")
    with pytest.raises(StateConflict, match=r"30\.00 EUR"):
        order.request_refund("r0", 3001, "admin")
    order.request_refund("r1", 2000, "admin")
    assert order.refundable == 1000  # reserved before Stripe is asked
    with pytest.raises(StateConflict, match=r"10\.00 EUR"):
        order.request_refund("r2", 1001, "admin")
    # The same refund asked for again: nothing recorded (the caller reports the first).
    assert order.request_refund("r1", 500, "admin") is False
    assert types(order).count("RefundRequested") == 1
    order.refund_submitted("r1", "re_1", "admin")
    order.refund_failed("r1", "card closed", "stripe")
    order.refund_failed("r1", "card closed", "stripe")  # recorded once
    assert order.refundable == 3000  # a failed refund frees its amount
    assert types(order).count("RefundFailed") == 1
    order.request_refund("r2", 3000, "admin")
    assert order.refundable == 0


def charge(amount_refunded: int, created: int) -> StripeFact:
    obj = {"object": "charge", "id": "ch_1", "amount_refunded": amount_refunded}
    return fact("charge.refunded", obj, created=created)


def test_the_newest_charge_statement_says_what_is_refunded() -> None:
    order = paid(3000)
    order.request_refund("r1", 1000, "admin")
    order.receive(charge(1000, created=20))
    assert (order.status, order.amount_refunded) == ("partially_refunded", 1000)
    # The charge's 1000 may be a Dashboard refund beside ours: until Stripe names our refund,
    # both are held back, never refunded twice.
    assert order.refundable == 1000
    order.refund_submitted("r1", "re_1", "admin")
    refund = {"id": "re_1", "object": "refund", "amount": 1000, "status": "succeeded"}
    order.receive(fact("refund.updated", refund, created=19))
    assert order.refundable == 2000
    order.receive(charge(400, created=10))  # an older statement, arriving late
    assert order.amount_refunded == 1000
    order.fulfil("", "admin")  # partially refunded orders still ship
    order.receive(charge(9999, created=30))
    assert (order.status, order.amount_refunded) == ("refunded", 3000)  # capped at the total
    with pytest.raises(StateConflict):
        order.request_refund("r9", 1, "admin")


def test_refund_objects_settle_once_and_failures_free_the_amount() -> None:
    order = paid(3000)
    order.request_refund("r1", 1000, "admin")
    order.refund_submitted("r1", "re_1", "admin")
    refund = {"id": "re_1", "object": "refund", "amount": 1000, "status": "succeeded"}
    order.receive(fact("refund.created", refund))
    order.receive(fact("refund.updated", refund))
    assert (order.amount_refunded, order.settled_refunds) == (1000, {"re_1": 1000})
    assert types(order).count("RefundSettled") == 1

    order.request_refund("r2", 500, "admin")
    order.refund_submitted("r2", "re_2", "admin")
    assert order.refundable == 1500
    failed = {"id": "re_2", "object": "refund", "amount": 500, "status": "failed"}
    order.receive(fact("charge.refund.updated", failed))
    assert order.refunds["r2"]["state"] == "failed"
    assert order.refundable == 2000
    assert order.status == "partially_refunded"


def test_disputes_are_tracked_without_changing_the_status() -> None:
    order = paid()
    dispute = {"id": "dp_1", "object": "dispute", "amount": 3000, "reason": "fraudulent"}
    order.receive(fact("charge.dispute.created", dispute))
    assert order.disputes == {"dp_1": "open"} and order.status == "paid"
    order.receive(fact("charge.dispute.closed", {**dispute, "status": "lost"}))
    assert order.disputes == {"dp_1": "lost"}
    assert order.status == "paid"


# -- the Shop: stock moves with the order -------------------------------------------------------


def _placed(shop: Shop, stock: int = 3, quantity: int = 2) -> tuple[Order, Product]:
    shop.open_account(USER, "shopper")
    product, _ = shop.list_product(
        name="Teapot", description="", price=1000, currency="EUR", stock=stock
    )
    shop.add_to_cart(USER, product.id, quantity)
    order, _, placed = shop.place_order(USER, uuid.uuid4())
    assert placed
    shop.attach_payment_intent(order.id, "pi_1", str(USER))
    return shop.load(Order, order.id), shop.load(Product, product.id)


def stripe(shop: Shop, kind: str, order: Order, event_id: str | None = None) -> bool:
    _, duplicate = shop.record_stripe_event(fact(kind, intent("x", order), event_id))
    return duplicate


def test_checkout_reserves_a_decline_keeps_and_a_cancel_releases(shop: Shop) -> None:
    order, product = _placed(shop, stock=3, quantity=2)
    assert (order.total, product.stock, order.reserved) == (2000, 1, True)
    assert shop.cart_of(USER) is None  # the next cart opens with its first line
    assert shop.load(Cart, cart_id_for(USER)).closed

    # A declined card: the order can still be paid, and keeps its units meanwhile.
    stripe(shop, "payment_intent.payment_failed", order)
    assert shop.load(Product, product.id).stock == 1
    assert shop.load(Order, order.id).reserved is True

    stripe(shop, "payment_intent.succeeded", order)  # the second card
    settled = shop.load(Order, order.id)
    assert (settled.status, settled.reserved, settled.stock_shortfall) == ("paid", True, False)
    assert shop.load(Product, product.id).stock == 1


def test_stock_is_never_taken_below_zero(shop: Shop) -> None:
    order, product = _placed(shop, stock=3, quantity=2)
    shop.cancel_order(order.id, "expired", "system")  # its units go back ...
    other = uuid.uuid4()
    shop.open_account(other, "shopper")
    shop.add_to_cart(other, product.id, 3)
    shop.place_order(other, uuid.uuid4())  # someone buys the returned stock meanwhile
    assert shop.load(Product, product.id).stock == 0

    stripe(shop, "payment_intent.succeeded", order)  # ... and the payment went through after all
    settled = shop.load(Order, order.id)
    assert (settled.status, settled.reserved, settled.stock_shortfall) == (
        "needs_stock",
        False,
        True,
    )
    assert shop.load(Product, product.id).stock == 0  # a person must resolve the shortfall
    with pytest.raises(StateConflict):
        shop.load(Product, product.id).reserve(order.id, 1)


def test_cancelling_returns_the_stock_once(shop: Shop) -> None:
    order, product = _placed(shop, stock=3, quantity=2)
    shop.cancel_order(order.id, "changed my mind", str(USER))
    assert shop.load(Product, product.id).stock == 3
    with pytest.raises(StateConflict):
        shop.cancel_order(order.id, "again", str(USER))
    stripe(shop, "payment_intent.canceled", order)
    assert shop.load(Product, product.id).stock == 3  # not released twice


class Counts:
    """The delivery counter's contract in memory (infra/deliveries.py is the SQL one)."""

    def __init__(self) -> None:
        self.duplicates: dict[str, int] = {}

    def count_duplicate(self, stripe_event_id: str) -> int:
        self.duplicates[stripe_event_id] = self.duplicates.get(stripe_event_id, 0) + 1
        return 1 + self.duplicates[stripe_event_id]


def test_a_repeated_stripe_event_is_counted_not_applied_nor_logged_each_time(shop: Shop) -> None:
    order, _ = _placed(shop)
    assert stripe(shop, "payment_intent.succeeded", order, "evt_same") is False
    version = shop.load(Order, order.id).version
    receipt_id = receipt_id_for("evt_same")
    counts = Counts()
    again = read_stripe_event(
        {
            "id": "evt_same",
            "type": "payment_intent.succeeded",
            "data": {"object": intent("succeeded", order)},
        }
    )
    for _ in range(6):  # deliveries 2 to 7
        _, duplicate = receive_stripe_event(shop, counts, again)
        assert duplicate is True
    assert shop.load(Order, order.id).version == version
    receipt = shop.load(StripeEventReceipt, receipt_id)
    # Noted at 2 and 4 deliveries only: a replayed delivery cannot grow the log much.
    assert (receipt.deliveries, receipt.order_id, receipt.version) == (4, order.id, 3)


def test_an_event_for_no_order_is_kept_as_a_receipt(shop: Shop) -> None:
    for metadata in ({"order_id": str(uuid.uuid4())}, {"order_id": "ord_1"}, {}):
        kind_fact = fact("payment_intent.succeeded", {"id": "pi_x", "metadata": metadata})
        _, duplicate = shop.record_stripe_event(kind_fact)
        assert duplicate is False
        assert shop.load(StripeEventReceipt, receipt_id_for(kind_fact.event_id)).order_id is None


def test_an_order_as_it_stood(shop: Shop) -> None:
    order, _ = _placed(shop)
    placed_at = shop.load(Order, order.id).modified_on
    stripe(shop, "payment_intent.succeeded", order)
    assert shop.order_as_of(order.id, placed_at).status == "pending_payment"
    latest = shop.load(Order, order.id)
    assert shop.order_as_of(order.id, latest.modified_on).status == "paid"
    with pytest.raises(NotFound):
        shop.order_as_of(order.id, latest.created_on - timedelta(microseconds=1))


# -- stored events: today's shapes must load forever ---------------------------------------------


def test_a_saved_order_reloads_in_a_fresh_application(shop: Shop) -> None:
    order, _ = _placed(shop)
    stripe(shop, "payment_intent.succeeded", order)
    shop.request_refund(order.id, "r1", 500, "admin")
    stored = shop.recorder.select_events(order.id)
    assert len(stored) == 5

    fresh = Shop(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        fresh.recorder.insert_events(stored)
        again = fresh.load(Order, order.id)
    finally:
        fresh.close()
    original = shop.load(Order, order.id)
    assert again.version == original.version == 5
    for field in ("status", "total", "lines", "payment_intent_id", "refunds", "user_id"):
        assert getattr(again, field) == getattr(original, field), field


def _stamp(n: int) -> str:
    return f'{{"_type_":"datetime_iso","_data_":"2026-11-25T16:06:48.{n:06d}+00:00"}}'


_USER_HEX = '{"_type_":"uuid_hex","_data_":"00000000000040008000000000000001"}'
_LINES = (
    '[{"product_id":"98a4ddd1-d7c1-4a10-8ca0-3af2086cb752","name":"Teapot",'
    '"unit_price":1999,"quantity":2}]'
)
ORDER_FIXTURE = [
    (
        "Order.OrderPlaced",
        '"originator_topic":"domain.orders:Order","user_id":'
        + _USER_HEX
        + ',"lines":'
        + _LINES
        + ',"total":3998,"currency":"EUR","actor":"00000000-0000-4000-8000-000000000001"',
    ),
    (
        "Order.PaymentIntentCreated",
        '"payment_intent_id":"pi_123","amount":3998,"currency":"EUR",'
        '"actor":"00000000-0000-4000-8000-000000000001"',
    ),
    (
        "Order.StripeEventReceived",
        '"stripe_event_id":"evt_1","stripe_type":"payment_intent.succeeded",'
        '"stripe_object_id":"pi_123","amount":3998,"currency":"EUR","actor":"stripe"',
    ),
    ("Order.PaymentSucceeded", '"amount":3998,"actor":"stripe"'),
    ("Order.RefundRequested", '"refund_id":"r1","amount":1000,"actor":"admin-1"'),
    ("Order.RefundSubmitted", '"refund_id":"r1","stripe_refund_id":"re_1","actor":"admin-1"'),
    (
        "Order.StripeEventReceived",
        '"stripe_event_id":"evt_2","stripe_type":"charge.refunded","stripe_object_id":"ch_1",'
        '"amount":null,"currency":"EUR","actor":"stripe"',
    ),
    ("Order.RefundSettled", '"amount_refunded":1000,"settled_refunds":{},"actor":"stripe"'),
    (
        "Order.DisputeOpened",
        '"dispute_id":"dp_1","amount":2998,"reason":"fraudulent","actor":"stripe"',
    ),
    ("Order.DisputeClosed", '"dispute_id":"dp_1","outcome":"won","actor":"stripe"'),
    ("Order.OrderFulfilled", '"tracking_note":"DHL 1","actor":"admin-1"'),
]
CART_FIXTURE = [
    ("Cart.CartOpened", '"originator_topic":"domain.carts:Cart","user_id":' + _USER_HEX),
    (
        "Cart.ItemAddedToCart",
        '"product_id":{"_type_":"uuid_hex","_data_":"52054717ec0a419a9613947ef2cd3c36"},'
        '"quantity":2',
    ),
    (
        "Cart.ItemAddedToCart",
        '"product_id":{"_type_":"uuid_hex","_data_":"26aecf089a96447eb542cbd007e872b1"},'
        '"quantity":1',
    ),
    (
        "Cart.ItemRemovedFromCart",
        '"product_id":{"_type_":"uuid_hex","_data_":"26aecf089a96447eb542cbd007e872b1"}',
    ),
    (
        "Cart.ItemAddedToCart",
        '"product_id":{"_type_":"uuid_hex","_data_":"52054717ec0a419a9613947ef2cd3c36"},'
        '"quantity":1',
    ),
]


def _stored(module: str, aggregate_id: UUID, fixture: list[tuple[str, str]]) -> list[StoredEvent]:
    return [
        StoredEvent(
            originator_id=aggregate_id,
            originator_version=version,
            topic=f"domain.{module}:{name}",
            state=('{"timestamp":' + _stamp(version) + "," + body + "}").encode(),
        )
        for version, (name, body) in enumerate(fixture, start=1)
    ]


def test_stored_order_and_cart_events_of_today_still_load(shop: Shop) -> None:
    order_id = UUID("00000000-0000-4000-8000-0000000000aa")
    shop.recorder.insert_events(_stored("orders", order_id, ORDER_FIXTURE))
    shop.recorder.insert_events(_stored("carts", cart_id_for(USER), CART_FIXTURE))

    order = shop.load(Order, order_id)
    assert (order.version, order.status, order.user_id) == (11, "fulfilled", USER)
    assert (order.total, order.currency, order.payment_intent_id) == (3998, "EUR", "pi_123")
    assert order.lines[0]["quantity"] == 2 and order.lines[0]["unit_price"] == 1999
    assert order.refunds == {
        "r1": {"amount": 1000, "state": "submitted", "stripe_refund_id": "re_1"}
    }
    # The charge's 1000 and refund r1 (never reported on by its own events) are held apart:
    # the charge's may have been a Dashboard refund, and money never goes back twice.
    assert (order.amount_refunded, order.refundable) == (1000, 1998)
    assert (order.disputes, order.tracking_note) == ({"dp_1": "won"}, "DHL 1")
    assert order.created_on.isoformat() == "2026-11-25T16:06:48.000001+00:00"

    cart = shop.load(Cart, cart_id_for(USER))
    assert (cart.version, cart.user_id) == (5, USER)
    assert cart.lines == {PRODUCT: 3}


# -- what may pay an order, and refunds after fulfilment ---------------------------------------


def test_only_our_payment_intent_in_full_and_in_our_currency_pays_the_order() -> None:
    order = new_order(total=3000)
    order.receive(fact("payment_intent.succeeded", {**intent("succeeded"), "id": "pi_other"}))
    order.receive(fact("payment_intent.succeeded", {**intent("succeeded"), "amount": 1}))
    order.receive(fact("payment_intent.succeeded", {**intent("succeeded"), "currency": "jpy"}))
    assert order.status == "pending_payment"
    order.receive(fact("payment_intent.succeeded", intent("succeeded")))
    assert order.status == "paid"


def test_a_partial_refund_leaves_a_fulfilled_order_fulfilled_and_a_full_one_refunds_it() -> None:
    order = new_order(total=3000)
    order.receive(fact("payment_intent.succeeded", intent("succeeded")))
    order.fulfil("DHL 1", "admin")
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "currency": "eur"}
    order.receive(fact("charge.refunded", {**charge, "amount_refunded": 1000}))
    assert (order.status, order.amount_refunded) == ("fulfilled", 1000)
    with pytest.raises(StateConflict):
        order.fulfil("again", "admin")  # the tracking note is not overwritten
    assert order.tracking_note == "DHL 1"
    order.receive(fact("charge.refunded", {**charge, "amount_refunded": 3000}))
    assert order.status == "refunded"


def test_a_cart_holds_one_currency_and_an_order_must_cost_something(shop: Shop) -> None:
    euros, _ = shop.list_product(name="A", description="", price=100, currency="EUR", stock=5)
    dollars, _ = shop.list_product(name="B", description="", price=100, currency="USD", stock=5)
    free, _ = shop.list_product(name="C", description="", price=0, currency="EUR", stock=5)
    shop.add_to_cart(USER, euros.id, 1)
    with pytest.raises(InvalidCommand, match="one currency"):
        shop.add_to_cart(USER, dollars.id, 1)
    other_user = uuid.uuid4()
    shop.add_to_cart(other_user, free.id, 1)
    with pytest.raises(InvalidCommand, match="at least 1 minor unit"):
        shop.place_order(other_user, uuid.uuid4())
    assert shop.load(Product, free.id).stock == 5  # nothing was reserved
