"""The money workflows on the in-memory store with a fake payment port: refund recovery,
reconciliation with Stripe, and expiry that parks refused cancels without blocking newer
orders. Fast: no HTTP, no emulator (tests/integration/test_reconciliation.py does those)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.cancellation import PaymentNotCancellable, cancel_unpaid_order
from application.checkout import check_out
from application.expiry import ExpiryPolicy
from application.payments import (
    CardOutcome,
    PaymentIntentRef,
    PaymentProviderUnavailable,
    PaymentRequestRejected,
    RefundRef,
)
from application.reconciliation import reconcile_order
from application.refunds import (
    RECOVERY_GRACE,
    orders_with_refund_requests,
    recover_refunds,
    refund_order,
)
from domain.orders import Order
from domain.products import Product
from domain.shop import Shop
from domain.stripe_facts import read_stripe_event

ADMIN = "admin-1"


class FakePayments:
    """A PaymentPort in memory that behaves like Stripe where the workflows care: idempotent
    refunds by key (only when `honours_keys`), refusals to cancel, outages on demand."""

    is_emulated = True

    def __init__(self) -> None:
        self.intents: dict[str, PaymentIntentRef] = {}
        self.refunds: dict[str, list[RefundRef]] = {}
        self.uncancellable: set[str] = set()
        self.down = False
        self.lose_refund_answer = False  # Stripe refunds, but the answer never arrives

    def _up(self) -> None:
        if self.down:
            raise PaymentProviderUnavailable("stripe is down")

    def create_payment_intent(
        self, order_id: str, amount: int, currency: str, customer_ref: str
    ) -> PaymentIntentRef:
        self._up()
        pi = f"pi_{uuid.uuid4().hex[:12]}"
        self.intents[pi] = PaymentIntentRef(
            pi, "secret", "requires_payment_method", amount, currency
        )
        return self.intents[pi]

    def retrieve_payment_intent(self, pi_id: str) -> PaymentIntentRef:
        self._up()
        return self.intents[pi_id]

    def set_status(self, pi_id: str, status: str, failure: str | None = None) -> None:
        self.intents[pi_id] = replace(self.intents[pi_id], status=status, failure_reason=failure)

    def cancel_payment_intent(self, pi_id: str, idempotency_key: str) -> PaymentIntentRef:
        self._up()
        intent = self.intents[pi_id]
        if pi_id in self.uncancellable or intent.status in ("succeeded", "processing"):
            raise PaymentRequestRejected("cannot cancel", 400)
        self.set_status(pi_id, "canceled")
        return self.intents[pi_id]

    def refund(self, pi_id: str, amount: int, idempotency_key: str) -> RefundRef:
        self._up()
        listed = self.refunds.setdefault(pi_id, [])
        earlier = next((r for r in listed if r.key == idempotency_key), None)
        refund = earlier or RefundRef(
            f"re_{uuid.uuid4().hex[:12]}", amount, "succeeded", idempotency_key
        )
        if earlier is None:
            listed.append(refund)
        if self.lose_refund_answer:
            raise PaymentProviderUnavailable("read timed out")
        return refund

    def list_refunds(self, pi_id: str) -> list[RefundRef]:
        self._up()
        return list(self.refunds.get(pi_id, []))

    def confirm_for_testing(self, pi_id: str, outcome: CardOutcome) -> PaymentIntentRef:
        raise NotImplementedError

    def verify_webhook(self, raw_body: bytes, signature_header: str | None) -> dict[str, Any]:
        raise NotImplementedError


@pytest.fixture
def shop() -> Iterator[Shop]:
    app = Shop(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


@pytest.fixture
def payments() -> FakePayments:
    return FakePayments()


def placed(shop: Shop, payments: FakePayments, stock: int = 10, quantity: int = 1) -> Order:
    user = uuid.uuid4()
    shop.open_account(user, "shopper")
    product, _ = shop.list_product(
        name="Teapot", description="", price=1500, currency="EUR", stock=stock
    )
    shop.add_to_cart(user, product.id, quantity)
    return shop.order_for(check_out(shop, payments, user, None).order.id)


def webhook(shop: Shop, kind: str, obj: dict[str, Any]) -> None:
    shop.record_stripe_event(
        read_stripe_event({"id": f"evt_{uuid.uuid4().hex}", "type": kind, "data": {"object": obj}})
    )


def paid(shop: Shop, payments: FakePayments) -> Order:
    order = placed(shop, payments)
    pi = shop.order_for(order.id).payment_intent_id
    assert pi is not None
    payments.set_status(pi, "succeeded")
    webhook(
        shop,
        "payment_intent.succeeded",
        {"id": pi, "object": "payment_intent", "amount": order.total, "currency": "eur"},
    )
    return shop.order_for(order.id)


def history(shop: Shop, order_id: UUID) -> list[tuple[str, str]]:
    return [(type(e).__name__, e.actor) for e in shop.events.get(order_id)]  # type: ignore[attr-defined]


def later() -> datetime:
    """Past the grace period of every refund requested so far."""
    return datetime.now(UTC) + RECOVERY_GRACE + timedelta(seconds=1)


# -- refund recovery -------------------------------------------------------------------------


def test_a_refund_left_requested_by_a_dead_process_is_sent_and_recorded(
    shop: Shop, payments: FakePayments
) -> None:
    order = paid(shop, payments)
    assert order.payment_intent_id is not None
    shop.request_refund(order.id, "r1", 500, ADMIN)  # ... and the process died here
    watched, up_to = orders_with_refund_requests(shop, 0)
    assert watched == {order.id} and up_to > 0

    # Within the grace period the asking process may still get its answer: left alone.
    assert [r.outcome for r in recover_refunds(shop, payments, order.id)] == ["waiting"]
    assert payments.refunds == {}

    [recovered] = recover_refunds(shop, payments, order.id, later())
    assert recovered.outcome == "submitted"
    [at_stripe] = payments.refunds[order.payment_intent_id]
    assert (at_stripe.amount, at_stripe.key) == (500, "refund-r1")
    assert shop.order_for(order.id).refunds["r1"]["state"] == "submitted"
    assert shop.order_for(order.id).unresolved_refunds == {}
    # Settled by reconciliation (the refund.updated webhook may be lost too).
    assert reconcile_order(shop, payments, order.id, later()).recorded == ["refund.updated"]
    final = shop.order_for(order.id)
    assert (final.amount_refunded, final.status) == (500, "partially_refunded")
    assert ("RefundSettled", "reconciliation") in history(shop, order.id)
    assert recover_refunds(shop, payments, order.id, later()) == []
    assert not reconcile_order(shop, payments, order.id, later()).changed


def test_a_refund_whose_answer_was_lost_is_found_by_its_key_not_made_twice(
    shop: Shop, payments: FakePayments
) -> None:
    order = paid(shop, payments)
    assert order.payment_intent_id is not None
    payments.lose_refund_answer = True
    with pytest.raises(PaymentProviderUnavailable):
        refund_order(shop, payments, order.id, 1500, ADMIN, "key-1")
    payments.lose_refund_answer = False
    [state] = shop.order_for(order.id).refunds.values()
    assert state["state"] == "unknown"

    result = reconcile_order(shop, payments, order.id, later())
    assert [r.outcome for r in result.refunds] == ["found"]
    assert len(payments.refunds[order.payment_intent_id]) == 1  # not refunded twice
    assert result.recorded == ["refund.updated"]
    assert shop.order_for(order.id).status == "refunded"
    # A retry of the admin's request now reports the refund instead of answering 409.
    again = refund_order(shop, payments, order.id, 1500, ADMIN, "key-1")
    assert (again.state, again.position) == ("submitted", None)


def test_recovery_waits_out_an_outage_and_records_a_refusal(
    shop: Shop, payments: FakePayments
) -> None:
    order = paid(shop, payments)
    shop.request_refund(order.id, "r1", 500, ADMIN)
    payments.down = True
    with pytest.raises(PaymentProviderUnavailable):
        recover_refunds(shop, payments, order.id, later())
    assert shop.order_for(order.id).refunds["r1"]["state"] == "requested"
    payments.down = False
    payments.refund = _refuse  # type: ignore[method-assign]
    [recovered] = recover_refunds(shop, payments, order.id, later())
    assert recovered.outcome == "failed"
    assert shop.order_for(order.id).refundable == order.total  # the amount is free again


def _refuse(pi_id: str, amount: int, idempotency_key: str) -> RefundRef:
    raise PaymentRequestRejected("charge already refunded", 400)


def test_a_refund_failed_that_arrives_before_the_submission_is_matched(
    shop: Shop, payments: FakePayments
) -> None:
    order = paid(shop, payments)
    shop.request_refund(order.id, "r1", 700, ADMIN)
    refund = {"id": "re_early", "object": "refund", "amount": 700, "currency": "eur"}
    webhook(
        shop,
        "refund.failed",
        {**refund, "status": "failed", "payment_intent": order.payment_intent_id},
    )
    assert shop.order_for(order.id).refunds["r1"]["state"] == "requested"

    shop.refund_submitted(order.id, "r1", "re_early", ADMIN)
    shop.refund_submitted(order.id, "r1", "re_early", "reconciliation")  # a repeat: no-op
    after = shop.order_for(order.id)
    assert after.refunds["r1"]["state"] == "failed"
    assert after.refundable == order.total
    assert [t for t, _ in history(shop, order.id)].count("RefundSubmitted") == 1


# -- reconciliation --------------------------------------------------------------------------


def test_reconciliation_appends_a_lost_payment_once_marked_as_reconciliation(
    shop: Shop, payments: FakePayments
) -> None:
    order = placed(shop, payments)
    assert order.payment_intent_id is not None
    assert reconcile_order(shop, payments, order.id).recorded == []  # nothing happened yet
    payments.set_status(order.payment_intent_id, "succeeded")  # its webhook was dropped

    result = reconcile_order(shop, payments, order.id)
    assert result.recorded == ["payment_intent.succeeded"] and result.position
    assert shop.order_for(order.id).status == "paid"
    assert ("StripeEventReceived", "reconciliation") in history(shop, order.id)
    assert ("PaymentSucceeded", "reconciliation") in history(shop, order.id)
    assert not reconcile_order(shop, payments, order.id).changed  # a second run adds nothing

    # The webhook arriving late afterwards changes nothing either.
    webhook(
        shop,
        "payment_intent.succeeded",
        {"id": order.payment_intent_id, "object": "payment_intent", "amount": order.total},
    )
    assert [t for t, _ in history(shop, order.id)].count("PaymentSucceeded") == 1


def test_reconciliation_of_a_decline_and_of_a_cancel_at_stripe(
    shop: Shop, payments: FakePayments
) -> None:
    declined, cancelled = placed(shop, payments, stock=3), placed(shop, payments, stock=3)
    assert declined.payment_intent_id and cancelled.payment_intent_id
    payments.set_status(declined.payment_intent_id, "requires_payment_method", "card declined")
    payments.set_status(cancelled.payment_intent_id, "canceled")

    assert reconcile_order(shop, payments, declined.id).recorded == [
        "payment_intent.payment_failed"
    ]
    assert reconcile_order(shop, payments, cancelled.id).recorded == ["payment_intent.canceled"]
    assert shop.order_for(declined.id).status == "payment_failed"
    gone = shop.order_for(cancelled.id)
    assert gone.status == "cancelled" and not gone.reserved
    product = shop.load(Product, UUID(gone.lines[0]["product_id"]))
    assert product.stock == 3  # the cancelled order's unit is back


# -- expiry ----------------------------------------------------------------------------------


def test_expiry_parks_refused_cancels_and_still_expires_newer_orders(
    shop: Shop, payments: FakePayments
) -> None:
    """More uncancellable orders than a page of candidates sit in front of newer ones."""
    stuck = [placed(shop, payments) for _ in range(4)]
    for order in stuck[:3]:
        assert order.payment_intent_id is not None
        payments.uncancellable.add(order.payment_intent_id)  # e.g. processing at Stripe
    paid_at_stripe = stuck[3]
    assert paid_at_stripe.payment_intent_id is not None
    payments.set_status(paid_at_stripe.payment_intent_id, "succeeded")  # webhook lost
    newer = [placed(shop, payments) for _ in range(2)]
    asked: list[int] = []

    def expired(cutoff: datetime, page: int = 2) -> Iterator[UUID]:
        """Like the worker's: unpaid orders placed before the cutoff, a page at a time."""
        ids = [o.id for o in stuck + newer]
        for start in range(0, len(ids), page):
            asked.append(start)
            for order_id in ids[start : start + page]:
                order = shop.order_for(order_id)
                if (
                    order.status in ("pending_payment", "payment_failed")
                    and order.created_on < cutoff
                ):
                    yield order_id

    policy = ExpiryPolicy(shop, payments, timedelta(minutes=30), expired)
    now = datetime.now(UTC) + timedelta(minutes=31)
    first = policy.run_once(now)
    assert first.cancelled == [o.id for o in newer]
    assert first.paid == [paid_at_stripe.id]
    assert first.parked == [o.id for o in stuck[:3]]
    assert shop.order_for(paid_at_stripe.id).status == "paid"
    assert ("PaymentSucceeded", "reconciliation") in history(shop, paid_at_stripe.id)

    # Parked orders wait out their backoff (1 min, then 2, ...) while a newer one expires.
    newest = placed(shop, payments)
    newer.append(newest)
    second = policy.run_once(now + timedelta(seconds=30))
    assert (second.parked, second.waiting, second.cancelled) == ([], 3, [newest.id])
    third = policy.run_once(now + timedelta(minutes=31))
    assert third.parked == [o.id for o in stuck[:3]] and third.cancelled == []
    assert all(policy.parked[o.id].attempts == 2 for o in stuck[:3])
    assert policy.parked[stuck[0].id].retry_at == now + timedelta(minutes=31) + timedelta(minutes=2)

    # Once Stripe lets go, the parked ones expire too.
    payments.uncancellable.clear()
    last = policy.run_once(now + timedelta(hours=2))
    assert last.cancelled == [o.id for o in stuck[:3]] and policy.parked == {}


def test_a_cancel_stripe_refuses_because_it_was_paid_makes_the_order_paid(
    shop: Shop, payments: FakePayments
) -> None:
    order = placed(shop, payments)
    assert order.payment_intent_id is not None
    payments.set_status(order.payment_intent_id, "succeeded")  # the webhook is late
    with pytest.raises(PaymentNotCancellable) as refused:
        cancel_unpaid_order(shop, payments, order, "changed my mind", str(order.user_id))
    assert refused.value.intent_status == "succeeded"
    after = shop.order_for(order.id)
    assert after.status == "paid" and after.reserved
    assert ("PaymentSucceeded", "reconciliation") in history(shop, order.id)


STRIPE_STATES = st.sampled_from(
    ["requires_payment_method", "declined", "processing", "succeeded", "canceled"]
)
REFUNDS = st.lists(
    st.tuples(
        st.integers(1, 500), st.sampled_from(["succeeded", "failed", "pending"]), st.booleans()
    ),
    max_size=3,
)


@settings(max_examples=60, deadline=None)
@given(state=STRIPE_STATES, refunds=REFUNDS, paid_webhook=st.booleans())
def test_reconciliation_ends_in_stripes_state_and_a_second_run_adds_nothing(
    state: str, refunds: list[tuple[int, str, bool]], paid_webhook: bool
) -> None:
    """Whatever Stripe knows and whichever of its webhooks arrived, one reconciliation makes
    the order agree with Stripe, and another finds nothing missing."""
    shop, payments = Shop(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}), FakePayments()
    order = placed(shop, payments)
    pi = order.payment_intent_id
    assert pi is not None
    status = "requires_payment_method" if state == "declined" else state
    payments.set_status(pi, status, "card declined" if state == "declined" else None)
    intent = {"id": pi, "object": "payment_intent", "amount": order.total, "currency": "eur"}
    if state == "succeeded":
        if paid_webhook:
            webhook(shop, "payment_intent.succeeded", intent)
        for amount, refund_state, delivered in refunds:
            ref = RefundRef(f"re_{uuid.uuid4().hex[:8]}", amount, refund_state, None)
            payments.refunds.setdefault(pi, []).append(ref)
            # A refund's webhook before the payment's is the order-independence property
            # test's business (domain); here webhooks that arrived did so in causal order.
            if delivered and paid_webhook and refund_state == "succeeded":
                obj = {"id": ref.id, "object": "refund", "amount": amount, "status": "succeeded"}
                webhook(shop, "refund.updated", {**obj, "currency": "eur", "payment_intent": pi})

    reconcile_order(shop, payments, order.id)
    after = shop.order_for(order.id)
    # Stripe holds pending refunds as refunded too (a charge's amount_refunded counts them).
    held = ("succeeded", "pending")
    refunded = sum(a for a, s, _ in refunds if s in held) if state == "succeeded" else 0
    expected = {
        "requires_payment_method": "pending_payment",
        "declined": "payment_failed",
        "processing": "pending_payment",
        "canceled": "cancelled",
    }.get(state)
    if expected is None:
        expected = (
            "paid"
            if refunded == 0
            else ("refunded" if refunded >= order.total else "partially_refunded")
        )
    assert after.status == expected
    assert after.amount_refunded == min(refunded, order.total)
    assert after.payment_state == {"processing": "processing", "declined": "failed"}.get(
        state, after.payment_state
    )
    assert not reconcile_order(shop, payments, order.id).changed
    shop.close()
