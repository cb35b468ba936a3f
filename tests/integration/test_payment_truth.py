"""Issue 7, part A, over real HTTP on each backend: Stripe's facts in a bad order end in the
true state, a lost dispute shows as money lost, an order whose units were sold meanwhile
needs stock (visible, filterable, refused by fulfil until a restock), and the small ones:
keys reused with another body, currencies with their own decimals.

Stripe-shaped events are signed here as Stripe signs them (localstripe sends none of these);
one order is paid through the emulator so that a refund really goes to it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx

from domain.products import Product
from tests.support.servers import ShopUnderTest
from tests.support.shopping import (
    Placed,
    add,
    charge_object,
    checkout,
    deliver,
    dispute_object,
    intent_object,
    paid_order,
    person,
    place_order,
    read_json,
    staff,
    stored_stock,
    stripe_event,
)


def send(shop: ShopUnderTest, kind: str, obj: dict[str, Any]) -> httpx.Response:
    answer = deliver(shop, stripe_event(kind, obj))
    assert answer.status_code == 200, answer.text
    return answer


def listed(shop: ShopUnderTest, query: str, after: httpx.Response | int) -> set[str]:
    admin = staff(shop, "admin")
    page = read_json(shop, f"/orders?{query}&limit=100", after, admin)
    return {item["id"] for item in page["items"]}


def test_bad_orders_of_facts_disputes_and_stock_end_in_the_truth(shop: ShopUnderTest) -> None:
    # A full refund reported before the payment: refunded, and the units go back.
    refunded = place_order(shop, price=1000, quantity=2, stock=5)
    send(shop, "charge.refunded", charge_object(refunded, refunded.total))
    last = send(shop, "payment_intent.succeeded", intent_object(refunded, "succeeded"))
    view = read_json(shop, f"/orders/{refunded.id}", last, refunded.owner)
    assert (view["status"], view["amount_refunded"]) == ("refunded", refunded.total)
    assert stored_stock(shop, refunded.product_id) == 5

    # A dispute closed (lost) before it was opened: lost, with the money, in view and filter.
    disputed = place_order(shop, price=1500, quantity=1)
    send(shop, "payment_intent.succeeded", intent_object(disputed, "succeeded"))
    send(shop, "charge.dispute.closed", dispute_object(disputed, "dp_lost", "lost"))
    last = send(
        shop, "charge.dispute.created", dispute_object(disputed, "dp_lost", "needs_response")
    )
    view = read_json(shop, f"/orders/{disputed.id}", last, disputed.owner)
    assert (view["status"], view["dispute"], view["amount_lost"]) == ("paid", "lost", 1500)
    assert view["disputes"] == [{"id": "dp_lost", "state": "lost", "amount": 1500}]
    assert disputed.id in listed(shop, "dispute=lost", last)
    assert refunded.id not in listed(shop, "dispute=any", last)

    # Cancelled unpaid (units released), the last units sold to another shopper, then Stripe
    # reports it paid after all (the payment went through in the moment of the cancel).
    short = place_order(shop, price=700, quantity=2, stock=2)
    cancelled = shop.http.post(f"/orders/{short.id}/cancel", headers=shop.admin())
    assert cancelled.status_code == 200, cancelled.text
    assert stored_stock(shop, short.product_id) == 2
    rival = person(shop)
    assert add(shop, rival, short.product_id, 2).status_code == 201
    assert checkout(shop, rival).status_code == 201
    last = send(shop, "payment_intent.succeeded", intent_object(short, "succeeded"))
    view = read_json(shop, f"/orders/{short.id}", last, short.owner)
    assert (view["status"], view["needs_stock"], view["holds_stock"]) == (
        "needs_stock",
        True,
        False,
    )
    assert short.id in listed(shop, "status=needs_stock", last)
    history = read_json(shop, f"/orders/{short.id}/history", last, short.owner)["items"]
    assert any(e["summary"].startswith("Needs stock") for e in history)
    admin = shop.admin()
    refused = shop.http.post(f"/orders/{short.id}/fulfil", headers=admin)
    assert refused.status_code == 409 and "restock" in refused.json()["detail"]

    # The admin restocks: the waiting order takes its units first, and then ships.
    product = shop.services.shop.load(Product, UUID(short.product_id))
    restock = shop.http.put(
        f"/products/{short.product_id}",
        json={"name": product.name, "price": product.price, "stock": 3},
        headers={**admin, "If-Match": f'"{product.version}"'},
    )
    assert restock.status_code == 200, restock.text
    assert stored_stock(shop, short.product_id) == 1
    view = read_json(shop, f"/orders/{short.id}", restock, short.owner)
    assert (view["status"], view["holds_stock"]) == ("paid", True)
    shipped = shop.http.post(f"/orders/{short.id}/fulfil", headers=admin)
    assert shipped.status_code == 200, shipped.text


def test_reused_keys_and_currency_decimals(shop: ShopUnderTest) -> None:
    order, _ = paid_order(shop, price=1000, quantity=2)
    admin = {**shop.admin(), "Idempotency-Key": "refund-once"}
    url = f"/orders/{order.id}/refunds"
    first = shop.http.post(url, json={"amount": 500}, headers=admin)
    assert first.status_code == 202, first.text
    other = shop.http.post(url, json={"amount": 700}, headers=admin)
    assert other.status_code == 422 and "5.00 EUR" in other.json()["detail"]
    again = shop.http.post(url, json={"amount": 500}, headers=admin)
    assert again.status_code == 202 and again.json()["refund_id"] == first.json()["refund_id"]

    # A checkout key names the order it made, whatever the cart holds now (the shopper
    # kept shopping while the answer was lost): a retry finds that order.
    buyer = person(shop)
    yen = shop.create_product(price=500, stock=5, currency="jpy").json()["id"]
    assert add(shop, buyer, yen, 2).status_code == 201
    placed = checkout(shop, buyer, key="checkout-once")
    assert placed.status_code == 201, placed.text
    assert checkout(shop, buyer, key="checkout-once").status_code == 200  # a retry
    assert add(shop, buyer, yen, 1).status_code == 201
    reused = checkout(shop, buyer, key="checkout-once")
    assert reused.status_code == 200, reused.text
    assert reused.json()["order_id"] == placed.json()["order_id"]
    assert reused.json()["client_secret"] == placed.json()["client_secret"]

    # Amounts in history text use the currency's own decimals: JPY has none.
    yen_order = Placed(buyer, yen, 2, 500, placed)
    history = read_json(shop, f"/orders/{yen_order.id}/history", placed, buyer)["items"]
    assert history[0]["summary"] == "Order placed: 2 item(s), total 1000 JPY"
