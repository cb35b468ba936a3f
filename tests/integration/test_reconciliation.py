"""Orders end in Stripe's true state when webhooks are lost and processes die: over real
HTTP, against localstripe, whose webhooks are sent to a port nobody listens on.

- `shop payments reconcile` appends the payments and declines the shop never heard of,
  marked `reconciliation` in the history and the payment timeline;
- a refund whose process died after recording the request, and one whose answer from Stripe
  was lost, are resolved by the worker's recovery job (the second found by its key, not
  made twice) and settled from what Stripe says of them;
- expiry, with more uncancellable orders in front than one page of candidates, parks the
  ones Stripe refuses, makes the one Stripe says was paid paid, and still expires the newer.
"""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from application.refunds import RECOVERY_GRACE, refund_id_for
from entrypoints.stripe_emulator import EmulatorProcess
from infra.settings import Settings
from infra.stripe_budget import StripeBudget
from tests.support.processes import SHOP_BIN, shop_env
from tests.support.servers import ShopUnderTest, free_port
from tests.support.shopping import (
    Placed,
    emulator_refunds,
    place_order,
    read_json,
    staff,
    store_position,
    stored_order,
    stored_stock,
)
from workers.expiry import UnpaidOrderExpiry
from workers.lease import Lease
from workers.payments import PaymentRecovery, reconcile


def drop_webhooks(shop: ShopUnderTest, emulator: EmulatorProcess) -> None:
    """Stripe's deliveries now go nowhere (nothing listens on that port)."""
    dead = f"http://127.0.0.1:{free_port()}/webhooks/stripe"
    emulator.register_webhook("shop", dead, shop.settings.stripe_webhook_secret)


def confirm(shop: ShopUnderTest, order: Placed, outcome: str = "success") -> None:
    answer = shop.http.post(
        f"/dev/payments/{order.id}/confirm", json={"outcome": outcome}, headers=order.owner.headers
    )
    assert answer.status_code == 202, answer.text


def sources(shop: ShopUnderTest, order: Placed, kind: str) -> dict[str, str]:
    """type -> source of the order's history (kind="history") or payment timeline."""
    path = f"/orders/{order.id}/{'history' if kind == 'history' else 'payments'}"
    who = order.owner if kind == "history" else staff(shop, "support")
    items = read_json(shop, path, store_position(shop), who)["items"]
    return {item["type"]: item["source"] for item in items}


def test_reconcile_and_recover_after_lost_webhooks_and_a_crash(
    shop: ShopUnderTest, stripe_emulator: EmulatorProcess, tmp_path: Path
) -> None:
    drop_webhooks(shop, stripe_emulator)
    paid, refunded, declined = (place_order(shop, quantity=1, stock=3) for _ in range(3))
    confirm(shop, paid)
    confirm(shop, refunded)
    confirm(shop, declined, "decline")
    assert stored_order(shop, paid.id).status == "pending_payment"  # nothing arrived

    # An admin reconciles one order over HTTP (a shopper may not) ...
    admin = staff(shop, "admin")
    path = f"/orders/{paid.id}/reconcile"
    assert shop.http.post(path, headers=paid.owner.headers).status_code == 403
    one = shop.http.post(path, headers=admin.headers)
    assert one.status_code == 200, one.text
    assert one.json()["recorded"] == ["payment_intent.succeeded"]
    view = read_json(shop, f"/orders/{paid.id}", one, paid.owner)
    assert view["status"] == "paid"
    assert shop.http.post(path, headers=admin.headers).json()["recorded"] == []

    # ... and the CLI all open orders.

    ran = subprocess.run(
        [str(SHOP_BIN), "payments", "reconcile", "--since", "1h"],
        env=shop_env(shop.settings, STRIPE_API_BASE=str(shop.settings.stripe_api_base)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert f"order {refunded.id}: payment_intent.succeeded" in ran.stdout
    assert f"order {declined.id}: payment_intent.payment_failed" in ran.stdout
    # The paid order has no open question left: Stripe is asked about the two others only.
    assert "checked 2 open order(s): 2 changed" in ran.stderr
    assert stored_order(shop, paid.id).status == "paid"
    assert stored_order(shop, refunded.id).status == "paid"
    assert stored_order(shop, declined.id).status == "payment_failed"
    assert stored_stock(shop, declined.product_id) == 2  # declined, still payable: unit held
    assert sources(shop, paid, "history")["PaymentSucceeded"] == "reconciliation"
    assert sources(shop, paid, "payments")["payment_intent.succeeded"] == "reconciliation"

    # A refund request recorded by a process that died before asking Stripe ...
    services = shop.services
    services.shop.request_refund(UUID(paid.id), "crashed", 500, "admin")
    # ... and one Stripe made but whose answer was lost (a retry meanwhile reports it in
    # flight: requested, not asked of Stripe again).
    key = "refund-all-of-it"
    lost = refund_id_for(UUID(refunded.id), key)
    services.shop.request_refund(UUID(refunded.id), lost, refunded.total, "admin")
    services.payments.refund(refunded.payment_intent_id, refunded.total, f"refund-{lost}")
    retry = shop.http.post(
        f"/orders/{refunded.id}/refunds",
        json={"amount": refunded.total},
        headers={**admin.headers, "Idempotency-Key": key},
    )
    assert retry.status_code == 202 and retry.json()["state"] == "requested", retry.text

    # The worker's recovery job: its watch list comes from the log.
    job = PaymentRecovery(services, Lease(services.read_engine, "payment-recovery", "test", 30))
    early = job.recover_once()  # Stripe's refund is recorded, but the requests are in grace
    assert {r.outcome for result in early for r in result.refunds} == {"waiting"}
    changed = job.recover_once(datetime.now(UTC) + RECOVERY_GRACE + timedelta(seconds=1))
    outcomes = {r.refund_id: r.outcome for result in changed for r in result.refunds}
    assert outcomes == {"crashed": "submitted", lost: "found"}
    assert job.recover_once() == [] and job.watched == set()
    assert [r["amount"] for r in emulator_refunds(shop, paid.payment_intent_id)] == [500]
    assert len(emulator_refunds(shop, refunded.payment_intent_id)) == 1  # not twice
    assert stored_order(shop, paid.id).amount_refunded == 500
    assert stored_order(shop, refunded.id).status == "refunded"
    view = read_json(shop, f"/orders/{refunded.id}", store_position(shop), refunded.owner)
    assert (view["status"], view["amount_refunded"]) == ("refunded", refunded.total)
    assert sources(shop, refunded, "history")["RefundSubmitted"] == "reconciliation"

    # The admin's retry now reports the refund; another reconcile finds nothing to add.
    again = shop.http.post(
        f"/orders/{refunded.id}/refunds",
        json={"amount": refunded.total},
        headers={**admin.headers, "Idempotency-Key": key},
    )
    assert again.status_code == 202 and again.json()["state"] == "submitted", again.text
    assert reconcile(services).changed == []


def test_expiry_is_not_blocked_by_orders_stripe_will_not_cancel(
    shop: ShopUnderTest, stripe_emulator: EmulatorProcess
) -> None:
    drop_webhooks(shop, stripe_emulator)
    # Their PaymentIntents vanish from the emulator: every cancel is refused (404).
    refused = [place_order(shop, quantity=1) for _ in range(2)]
    httpx.delete(stripe_emulator.url + "/_config/data", timeout=5).raise_for_status()
    # Paid at Stripe, their webhooks lost: Stripe refuses the cancel as well.
    paid = [place_order(shop, quantity=1, stock=2) for _ in range(2)]
    for order in paid:
        confirm(shop, order)
    newer = [place_order(shop, quantity=1, stock=2) for _ in range(2)]
    read_json(shop, "/orders", store_position(shop), staff(shop, "admin"))  # the view knows them

    expiry = UnpaidOrderExpiry(
        shop.services, Lease(shop.services.read_engine, "order-expiry", "test", 30), batch=2
    )
    later = datetime.now(UTC) + timedelta(seconds=shop.settings.pending_order_ttl_seconds + 1)
    assert sorted(map(str, expiry.run_once(later))) == sorted(o.id for o in newer)
    done = expiry.last_round
    assert sorted(map(str, done.paid)) == sorted(o.id for o in paid)
    assert sorted(map(str, done.parked)) == sorted(o.id for o in refused)
    for order in newer:
        assert stored_order(shop, order.id).status == "cancelled"
        assert stored_stock(shop, order.product_id) == 2
    for order in paid:
        assert stored_order(shop, order.id).status == "paid"
        assert stored_stock(shop, order.product_id) == 1  # the paid order keeps its unit
    assert sources(shop, paid[0], "history")["PaymentSucceeded"] == "reconciliation"

    # The parked ones wait out their backoff; the round is quick and blocks nobody.
    read_json(shop, "/orders", store_position(shop), staff(shop, "admin"))
    assert expiry.run_once(later + timedelta(seconds=30)) == []
    assert expiry.last_round.waiting == 2 and expiry.last_round.parked == []
    for order in refused:
        assert stored_order(shop, order.id).status == "pending_payment"


def test_reconciliation_asks_only_about_open_questions_renews_its_lease_and_keeps_to_its_share(
    shop: ShopUnderTest, stripe_emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop_webhooks(shop, stripe_emulator)
    settled = [place_order(shop, quantity=1, stock=5) for _ in range(3)]
    for order in settled:  # paid and known to be: nothing to ask Stripe
        confirm(shop, order)
        shop.http.post(f"/orders/{order.id}/reconcile", headers=staff(shop, "admin").headers)
    unpaid = [place_order(shop, quantity=1, stock=5) for _ in range(3)]  # did they pay?
    read_json(shop, "/orders", store_position(shop), staff(shop, "admin"))

    services = shop.services
    asked: list[str] = []
    real_retrieve = services.payments.retrieve_payment_intent
    monkeypatch.setattr(  # counts the calls; the real SDK still makes them
        services.payments,
        "retrieve_payment_intent",
        lambda pi: asked.append(pi) or real_retrieve(pi),
    )
    report = reconcile(services)
    assert report.checked == 3 and not report.errors
    assert sorted(asked) == sorted(o.payment_intent_id for o in unpaid)

    # A page at a time, renewing the lease: a round whose lease another worker took stops.
    monkeypatch.setattr("workers.payments.PAGE", 1)
    lease = Lease(services.read_engine, "payment-recovery", "this-worker", 30)
    assert lease.try_acquire()
    Lease(services.read_engine, "payment-recovery", "other-worker", 30).take_over()
    asked.clear()
    assert reconcile(services, lease=lease).checked == 1
    assert len(asked) == 1


def test_the_stripe_budget_keeps_reconciliation_to_its_share(settings: Settings) -> None:
    """Checkout spends freely; reconciliation waits while the shared window is full. A lower
    bound on the wait only: a loaded machine makes it longer, never shorter."""
    budget = StripeBudget(
        settings.model_copy(update={"stripe_rate_limit": 4, "reconcile_stripe_share": 0.5})
    )
    started = time.monotonic()
    budget.wait_for_share(2)  # within its share and the window: at once
    budget.spend(2)  # checkouts fill the rest of this second's window
    budget.wait_for_share(1)  # must wait for the window to move on
    assert time.monotonic() - started >= 0.5
