"""Refunds by an admin, through the real SDK to localstripe, never more than was paid.

The emulator lets refunds exceed the charge and sends no charge.refunded, so the shop must
cap refunds itself, and the tests sign Stripe's charge.refunded themselves."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import httpx

from tests.support.servers import ShopUnderTest
from tests.support.shopping import (
    Placed,
    all_at_once,
    charge_object,
    deliver,
    emulator_get,
    emulator_refunds,
    paid_order,
    person,
    place_order,
    read_json,
    staff,
    stored_order,
    stripe_event,
)


def refund(
    shop: ShopUnderTest,
    order: Placed,
    amount: object,
    headers: dict[str, str] | None = None,
    key: str | None = None,
) -> httpx.Response:
    """A refund request; a fresh Idempotency-Key unless one is given (every refund needs one,
    or an If-Match)."""
    headers = dict(headers or shop.admin())
    headers.setdefault("Idempotency-Key", key or f"test-{uuid.uuid4()}")
    return shop.http.post(f"/orders/{order.id}/refunds", json={"amount": amount}, headers=headers)


def charge_refunded(shop: ShopUnderTest, order: Placed, amount_refunded: int) -> httpx.Response:
    answer = deliver(shop, stripe_event("charge.refunded", charge_object(order, amount_refunded)))
    assert answer.status_code == 200, answer.text
    return answer


def stripe_amounts(shop: ShopUnderTest, order: Placed) -> list[int]:
    return sorted(r["amount"] for r in emulator_refunds(shop, order.payment_intent_id))


def view(shop: ShopUnderTest, order: Placed, after: httpx.Response | int) -> dict[str, Any]:
    return read_json(shop, f"/orders/{order.id}", after, order.owner)


def test_a_partial_then_a_full_refund(shop: ShopUnderTest) -> None:
    order, _ = paid_order(shop, price=1000, quantity=3)  # total 3000, paid at the emulator

    partial = refund(shop, order, 1000)
    assert partial.status_code == 202, partial.text
    body = partial.json()
    assert (body["amount"], body["state"]) == (1000, "submitted")
    assert body["stripe_refund_id"].startswith("re_")
    assert stripe_amounts(shop, order) == [1000]

    # 1000 is reserved though Stripe has not confirmed it yet: 2001 is more than remains.
    over = refund(shop, order, 2001)
    assert over.status_code == 409, over.text
    assert "20.00 EUR" in over.json()["detail"]
    assert stripe_amounts(shop, order) == [1000]  # nothing was sent to Stripe

    settled = charge_refunded(shop, order, 1000)
    current = view(shop, order, settled)
    assert (current["status"], current["amount_refunded"]) == ("partially_refunded", 1000)

    rest = refund(shop, order, 2000)
    assert rest.status_code == 202, rest.text
    assert rest.json()["stripe_refund_id"] not in (None, body["stripe_refund_id"])
    assert stripe_amounts(shop, order) == [1000, 2000]
    done = charge_refunded(shop, order, 3000)
    current = view(shop, order, done)
    assert (current["status"], current["amount_refunded"]) == ("refunded", current["total"])
    assert current["total"] == 3000

    assert refund(shop, order, 1).status_code == 409  # nothing left to refund
    assert len(stripe_amounts(shop, order)) == 2

    # Both Stripe refund ids are on the record, on the history and the payment timeline.
    ids = {body["stripe_refund_id"], rest.json()["stripe_refund_id"]}
    entries = read_json(shop, f"/orders/{order.id}/history", done, order.owner)["items"]
    submitted = [e for e in entries if e["type"] == "RefundSubmitted"]
    assert {e["data"]["stripe_refund_id"] for e in submitted} == ids
    assert all(e["data"]["stripe_refund_id"] in e["summary"] for e in submitted)
    payments = read_json(shop, f"/orders/{order.id}/payments", done, staff(shop, "admin"))
    shop_side = [e for e in payments["items"] if e["source"] == "shop"]
    assert [e["amount"] for e in shop_side if e["type"] == "RefundRequested"] == [1000, 2000]


def test_concurrent_refunds_never_exceed_the_total(shop: ShopUnderTest) -> None:
    order, _ = paid_order(shop, price=1000, quantity=3)  # total 3000

    answers = all_at_once([lambda: refund(shop, order, 2000)] * 2)

    assert Counter(a.status_code for a in answers) == {202: 1, 409: 1}, [a.text for a in answers]
    assert stripe_amounts(shop, order) == [2000]
    stored = stored_order(shop, order.id)
    assert sum(r["amount"] for r in stored.refunds.values()) == 2000
    assert stored.refundable == 1000


def test_who_may_refund_what_and_idempotency(shop: ShopUnderTest) -> None:
    unpaid = place_order(shop)
    no_payment = refund(shop, unpaid, 100)
    assert no_payment.status_code == 409, no_payment.text
    # (the emulator cannot list refunds of an intent without a charge: ask for all of them)
    assert emulator_get(shop, "/v1/refunds", limit="100")["data"] == []

    order, _ = paid_order(shop, price=1000, quantity=3)
    for who in (order.owner, person(shop), staff(shop, "support")):
        assert refund(shop, order, 100, headers=who.headers).status_code == 403
    for amount in (0, -5, 10.5, "100"):
        assert refund(shop, order, amount).status_code == 422, amount
    assert stripe_amounts(shop, order) == []

    first = refund(shop, order, 700, key="refund-once")
    assert first.status_code == 202, first.text
    again = refund(shop, order, 700, key="refund-once")
    assert again.status_code == 202, again.text
    for field in ("refund_id", "stripe_refund_id", "amount", "state"):
        assert again.json()[field] == first.json()[field], field
    assert stripe_amounts(shop, order) == [700]  # not a second refund
    assert stored_order(shop, order.id).refundable == 2300

    other = refund(shop, order, 300, key="refund-twice")
    assert other.status_code == 202, other.text
    assert other.json()["refund_id"] != first.json()["refund_id"]
    assert stripe_amounts(shop, order) == [300, 700]

    # Concurrent retries of one key (a double-submitted form): Stripe is asked once, whatever
    # the emulator does with the key; a copy still in flight reports it as requested.
    racing = all_at_once([lambda: refund(shop, order, 500, key="refund-race")] * 4)
    assert {a.status_code for a in racing} == {202}, [a.text for a in racing]
    assert len({a.json()["refund_id"] for a in racing}) == 1
    assert {a.json()["state"] for a in racing} <= {"requested", "submitted"}
    assert stripe_amounts(shop, order) == [300, 500, 700]
    assert stored_order(shop, order.id).refundable == 1500


def test_a_refund_is_always_named_so_a_retry_never_pays_twice(shop: ShopUnderTest) -> None:
    order, _ = paid_order(shop, price=1000, quantity=3)
    url = f"/orders/{order.id}/refunds"
    admin = shop.admin()
    bare = shop.http.post(url, json={"amount": 500}, headers=admin)
    assert bare.status_code == 428, bare.text
    assert "Idempotency-Key" in bare.json()["detail"]
    assert stripe_amounts(shop, order) == []

    # If-Match names it instead: the order version the admin saw, and the amount.
    seen = stored_order(shop, order.id).version
    named = {**admin, "If-Match": f'"{seen}"'}
    first = shop.http.post(url, json={"amount": 500}, headers=named)
    assert first.status_code == 202, first.text
    retry = shop.http.post(url, json={"amount": 500}, headers=named)  # the answer was lost
    assert retry.json()["refund_id"] == first.json()["refund_id"]
    assert stripe_amounts(shop, order) == [500]
    # Stripe's answer counts at once (the emulator sends no refund webhooks).
    current = view(shop, order, first)
    assert (current["status"], current["amount_refunded"]) == ("partially_refunded", 500)
