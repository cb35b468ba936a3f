"""Stripe's webhook over real HTTP: signatures on the raw body, once-only recording, and
Stripe-shaped events (signed here as Stripe signs them) arriving late, twice or out of order.

localstripe only ever sends payment_intent.succeeded and .payment_failed, so every other kind
is built the way Stripe builds it; none of these tests waits for the emulator."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx

from domain.payment_records import StripeEventReceipt, receipt_id_for
from infra.payments import sign_for_testing
from tests.support.servers import ShopUnderTest
from tests.support.shopping import (
    Placed,
    all_at_once,
    charge_object,
    deliver,
    dispute_object,
    intent_object,
    place_order,
    raw,
    read_json,
    refund_object,
    staff,
    store_position,
    stored_order,
    stored_stock,
    stripe_event,
)

After = httpx.Response | int


def history(shop: ShopUnderTest, order: Placed, after: After) -> list[dict[str, Any]]:
    return list(read_json(shop, f"/orders/{order.id}/history", after, order.owner)["items"])


def timeline(shop: ShopUnderTest, order: Placed, after: After) -> list[dict[str, Any]]:
    support = staff(shop, "support")
    return list(read_json(shop, f"/orders/{order.id}/payments", after, support)["items"])


def received(entries: list[dict[str, Any]], event_id: str) -> list[dict[str, Any]]:
    return [
        e
        for e in entries
        if e["type"] == "StripeEventReceived" and e["data"]["stripe_event_id"] == event_id
    ]


def send(shop: ShopUnderTest, kind: str, obj: dict[str, Any]) -> httpx.Response:
    answer = deliver(shop, stripe_event(kind, obj))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": True, "duplicate": False}
    return answer


def paid(shop: ShopUnderTest, **kwargs: Any) -> tuple[Placed, httpx.Response]:
    order = place_order(shop, **kwargs)
    answer = send(shop, "payment_intent.succeeded", intent_object(order, "succeeded"))
    assert stored_order(shop, order.id).status == "paid"
    return order, answer


def order_view(shop: ShopUnderTest, order: Placed, after: After) -> dict[str, Any]:
    return read_json(shop, f"/orders/{order.id}", after, order.owner)


# -- signatures ---------------------------------------------------------------------------------


def test_unverifiable_deliveries_are_refused_and_leave_no_trace(shop: ShopUnderTest) -> None:
    order = place_order(shop)
    event = stripe_event("payment_intent.succeeded", intent_object(order, "succeeded"))
    body = raw(event)
    tampered = body.replace(f'"amount": {order.total}'.encode(), b'"amount": 1')
    assert tampered != body
    secret = shop.settings.stripe_webhook_secret
    before = store_position(shop)
    refusals = {
        "wrong secret": deliver(shop, body, secret="whsec_not_ours"),
        "tampered body": deliver(shop, tampered, signature=sign_for_testing(body, secret)),
        "stale timestamp": deliver(shop, body, timestamp=int(time.time()) - 3600),
        "missing header": deliver(shop, body, signature=""),
        "garbage header": deliver(shop, body, signature="t=1,v1=deadbeef"),
        "signed non-JSON": deliver(shop, b"this is not json"),
        "signed JSON array": deliver(shop, b"[1, 2, 3]"),
    }
    for case, answer in refusals.items():
        assert answer.status_code == 400, (case, answer.text)
        assert isinstance(answer.json()["detail"], str), case
    assert store_position(shop) == before  # not one event recorded
    assert shop.services.shop.find(StripeEventReceipt, receipt_id_for(event["id"])) is None
    assert stored_order(shop, order.id).status == "pending_payment"

    # The very same event, properly signed, is accepted: the refusals were about the signature.
    accepted = deliver(shop, body)
    assert accepted.status_code == 200, accepted.text
    assert stored_order(shop, order.id).status == "paid"


# -- at least once --------------------------------------------------------------------------


def test_a_redelivered_event_is_applied_once(shop: ShopUnderTest) -> None:
    order = place_order(shop)
    body = raw(stripe_event("payment_intent.succeeded", intent_object(order, "succeeded")))
    event_id = json.loads(body)["id"]

    answers = [deliver(shop, body) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["duplicate"] for a in answers] == [False, True, True]

    entries = history(shop, order, answers[-1])
    assert len(received(entries, event_id)) == 1
    assert [e["type"] for e in entries].count("PaymentSucceeded") == 1
    # Repeats are counted, and noted on the timeline at 2, 4, 8, ... deliveries: a replayed
    # delivery cannot grow the log one event per copy.
    deliveries = [e for e in timeline(shop, order, answers[-1]) if e["ref"] == event_id]
    assert [e["duplicate"] for e in deliveries] == [False, True]
    assert all(e["source"] == "stripe" for e in deliveries)
    assert deliveries[0]["type"] == "payment_intent.succeeded"
    assert deliveries[0]["amount"] == order.total and deliveries[0]["currency"] == "EUR"
    assert "delivered 2 times" in deliveries[1]["summary"]
    more = [deliver(shop, body) for _ in range(5)]  # deliveries 4 to 8
    assert all(a.status_code == 200 and a.json()["duplicate"] for a in more)
    deliveries = [e for e in timeline(shop, order, more[-1]) if e["ref"] == event_id]
    assert [e["summary"].split("(")[-1] for e in deliveries[1:]] == [
        "delivered 2 times; repeats ignored)",
        "delivered 4 times; repeats ignored)",
        "delivered 8 times; repeats ignored)",
    ]


def test_ten_concurrent_copies_of_an_event_are_applied_once(shop: ShopUnderTest) -> None:
    order = place_order(shop)
    body = raw(stripe_event("payment_intent.succeeded", intent_object(order, "succeeded")))
    event_id = json.loads(body)["id"]

    answers = all_at_once([lambda: deliver(shop, body)] * 10)

    assert [a.status_code for a in answers] == [200] * 10, [a.text for a in answers]
    assert sorted(a.json()["duplicate"] for a in answers) == [False] + [True] * 9
    last = max(int(a.headers["X-Event-Position"]) for a in answers)
    entries = history(shop, order, last)
    assert len(received(entries, event_id)) == 1
    assert [e["type"] for e in entries].count("PaymentSucceeded") == 1
    deliveries = [e for e in timeline(shop, order, last) if e["ref"] == event_id]
    # Noted at 2, 4 and 8 deliveries (one skipped when a later count got there first).
    assert sorted(e["duplicate"] for e in deliveries)[:3] == [False, True, True]
    assert len(deliveries) <= 4
    assert stored_stock(shop, order.product_id) == 3  # the reservation stays as it was


# -- out of order -------------------------------------------------------------------------------


def test_older_payment_states_never_overwrite_succeeded(shop: ShopUnderTest) -> None:
    order, _ = paid(shop)
    late = [
        send(shop, "payment_intent.processing", intent_object(order, "processing")),
        send(
            shop,
            "payment_intent.payment_failed",
            intent_object(order, "requires_payment_method", last_payment_error={"message": "no"}),
        ),
        send(shop, "payment_intent.canceled", intent_object(order, "canceled")),
    ]
    view = order_view(shop, order, late[-1])
    assert view["status"] == "paid"
    types = [e["type"] for e in history(shop, order, late[-1])]
    assert types.count("StripeEventReceived") == 4  # every fact is kept...
    for ignored in ("PaymentProcessing", "PaymentFailed", "OrderCancelled", "ReservationReleased"):
        assert ignored not in types  # ...but none moved the order back
    assert stored_stock(shop, order.product_id) == 3


def test_success_after_a_failure_pays_with_the_units_it_kept(shop: ShopUnderTest) -> None:
    order = place_order(shop, quantity=2, stock=5)
    failed = send(shop, "payment_intent.payment_failed", intent_object(order, "failed"))
    assert order_view(shop, order, failed)["status"] == "payment_failed"
    assert stored_stock(shop, order.product_id) == 3  # still payable: its units stay held

    succeeded = send(shop, "payment_intent.succeeded", intent_object(order, "succeeded"))
    assert order_view(shop, order, succeeded)["status"] == "paid"
    assert stored_stock(shop, order.product_id) == 3  # taken once, never twice
    product = read_json(shop, f"/products/{order.product_id}", succeeded, order.owner)
    assert product["stock"] == 3
    types = [e["type"] for e in history(shop, order, succeeded)]
    assert types[-1] == "PaymentSucceeded" and "ReservationReleased" not in types


# -- refunds and disputes ---------------------------------------------------------------------


def test_charge_refunded_carries_the_cumulative_amount(shop: ShopUnderTest) -> None:
    order, _ = paid(shop, price=1000, quantity=3)  # total 3000
    first = send(shop, "charge.refunded", charge_object(order, amount_refunded=1000))
    view = order_view(shop, order, first)
    assert (view["status"], view["amount_refunded"]) == ("partially_refunded", 1000)

    # An older statement (Stripe's own time says so) arriving late changes nothing.
    stale_event = stripe_event(
        "charge.refunded", charge_object(order, amount_refunded=400), created=1_700_000_000
    )
    stale = deliver(shop, stale_event)
    assert stale.status_code == 200, stale.text
    view = order_view(shop, order, stale)
    assert (view["status"], view["amount_refunded"]) == ("partially_refunded", 1000)

    full = send(shop, "charge.refunded", charge_object(order, amount_refunded=3000))
    view = order_view(shop, order, full)
    assert (view["status"], view["amount_refunded"]) == ("refunded", 3000)
    entries = history(shop, order, full)
    settled = [e for e in entries if e["type"] == "RefundSettled"]
    assert [e["data"]["amount_refunded"] for e in settled] == [1000, 3000]
    assert all(e["actor"] == "stripe" for e in settled)


def test_refund_objects_settle_each_refund_once(shop: ShopUnderTest) -> None:
    order, _ = paid(shop, price=1000, quantity=3)  # total 3000
    # A pending refund already holds its amount, as Stripe's charge counts it.
    pending = send(shop, "refund.created", refund_object(order, "re_one", 1200, "pending"))
    view = order_view(shop, order, pending)
    assert (view["status"], view["amount_refunded"]) == ("partially_refunded", 1200)

    settled = send(shop, "refund.updated", refund_object(order, "re_one", 1200, "succeeded"))
    view = order_view(shop, order, settled)
    assert (view["status"], view["amount_refunded"]) == ("partially_refunded", 1200)

    # The same refund reported again (a new event about it) is not counted twice.
    again = send(shop, "refund.updated", refund_object(order, "re_one", 1200, "succeeded"))
    assert order_view(shop, order, again)["amount_refunded"] == 1200

    rest = send(shop, "refund.created", refund_object(order, "re_two", 1800, "succeeded"))
    view = order_view(shop, order, rest)
    assert (view["status"], view["amount_refunded"]) == ("refunded", 3000)
    # A late cumulative charge.refunded that agrees changes nothing.
    late = send(shop, "charge.refunded", charge_object(order, amount_refunded=1200))
    view = order_view(shop, order, late)
    assert (view["status"], view["amount_refunded"]) == ("refunded", 3000)


def test_a_dispute_is_opened_and_closed_on_the_order(shop: ShopUnderTest) -> None:
    order, _ = paid(shop)
    opened = send(shop, "charge.dispute.created", dispute_object(order, "dp_1", "needs_response"))
    view = order_view(shop, order, opened)
    assert (view["status"], view["dispute"]) == ("paid", "open")

    closed = send(shop, "charge.dispute.closed", dispute_object(order, "dp_1", "won"))
    view = order_view(shop, order, closed)
    assert (view["status"], view["dispute"]) == ("paid", "won")
    entries = history(shop, order, closed)
    opened_entry = next(e for e in entries if e["type"] == "DisputeOpened")
    assert "fraudulent" in opened_entry["summary"]
    assert opened_entry["data"]["amount"] == order.total
    assert next(e for e in entries if e["type"] == "DisputeClosed")["data"]["outcome"] == "won"


# -- events that are not about our orders ---------------------------------------------------


def test_events_without_an_order_are_recorded_and_acknowledged(shop: ShopUnderTest) -> None:
    product = place_order(shop).product_id
    before = store_position(shop)
    cases = {
        "unknown type": stripe_event(
            "customer.created", {"id": "cus_123", "object": "customer", "email": None}
        ),
        "unknown order": stripe_event(
            "payment_intent.succeeded",
            {
                "id": "pi_unknown",
                "object": "payment_intent",
                "amount": 500,
                "currency": "eur",
                "status": "succeeded",
                "metadata": {"order_id": str(uuid.uuid4())},
            },
        ),
        "order id that is no uuid": stripe_event(
            "payment_intent.succeeded",
            {"id": "pi_other", "object": "payment_intent", "metadata": {"order_id": "ord_42"}},
        ),
        "order id of a product": stripe_event(
            "payment_intent.succeeded",
            {"id": "pi_third", "object": "payment_intent", "metadata": {"order_id": product}},
        ),
    }
    for case, event in cases.items():
        answer = deliver(shop, event)
        assert answer.status_code == 200, (case, answer.text)
        assert answer.json()["duplicate"] is False, case
        receipt = shop.services.shop.find(StripeEventReceipt, receipt_id_for(event["id"]))
        assert receipt is not None and receipt.order_id is None, case
        assert deliver(shop, event).json()["duplicate"] is True, case
    assert store_position(shop) == before + 2 * len(cases)  # one receipt + one repeat each
    assert stored_stock(shop, product) == 3
    admin = staff(shop, "admin")
    orders = read_json(shop, "/orders", store_position(shop), admin)
    assert orders["total"] == 1 and orders["items"][0]["status"] == "pending_payment"
