"""Abandoned checkouts: an order left unpaid past PENDING_ORDER_TTL_SECONDS is cancelled by
the worker's expiry policy, its PaymentIntent cancelled and its stock returned; a paid order
of the same age is left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.servers import ShopUnderTest
from tests.support.shopping import (
    emulator_get,
    paid_order,
    place_order,
    read_json,
    staff,
    store_position,
    stored_order,
    stored_stock,
)
from workers.expiry import UnpaidOrderExpiry
from workers.lease import Lease


def expiry_for(shop: ShopUnderTest) -> UnpaidOrderExpiry:
    lease = Lease(shop.services.read_engine, "order-expiry", "test", ttl=30)
    return UnpaidOrderExpiry(shop.services, lease)


def test_unpaid_orders_expire_and_give_their_stock_back(shop: ShopUnderTest) -> None:
    unpaid = place_order(shop, quantity=2, stock=5)
    paid, _ = paid_order(shop, quantity=1, stock=3)
    expiry = expiry_for(shop)
    ttl = timedelta(seconds=shop.settings.pending_order_ttl_seconds)
    # The orders view must know the orders before the policy can find them.
    read_json(shop, "/orders", store_position(shop), staff(shop, "admin"))

    assert expiry.run_once(datetime.now(UTC)) == []  # nothing is old enough yet
    assert stored_order(shop, unpaid.id).status == "pending_payment"

    later = datetime.now(UTC) + ttl + timedelta(seconds=1)
    assert [str(order_id) for order_id in expiry.run_once(later)] == [unpaid.id]

    order = stored_order(shop, unpaid.id)
    assert order.status == "cancelled"
    assert not order.reserved
    assert stored_stock(shop, unpaid.product_id) == 5
    assert stored_order(shop, paid.id).status == "paid"
    assert stored_stock(shop, paid.product_id) == 2
    intent = emulator_get(shop, f"/v1/payment_intents/{unpaid.payment_intent_id}")
    assert intent["status"] == "canceled"
    history = read_json(shop, f"/orders/{unpaid.id}/history", store_position(shop), unpaid.owner)
    cancelled = [entry for entry in history["items"] if entry["type"] == "OrderCancelled"]
    assert len(cancelled) == 1
    assert cancelled[0]["actor"] == "system"
    assert "not paid within" in cancelled[0]["summary"]

    # A second round finds nothing more to do.
    assert expiry.run_once(later) == []
