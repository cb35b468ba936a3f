"""Checkout over real HTTP with the real SDK against localstripe: the order, its PaymentIntent,
the stock it reserves, idempotency, declines, races for the last unit, cancel and fulfil.

Payments complete only through the emulator's own (asynchronous, signed) webhook."""

from __future__ import annotations

from collections import Counter
from functools import partial
from uuid import UUID

from domain.products import Product
from tests.support.servers import ShopUnderTest, wait_for_order
from tests.support.shopping import (
    Placed,
    add,
    all_at_once,
    checkout,
    emulator_get,
    emulator_intents,
    new_product,
    paid_order,
    pay,
    person,
    place_order,
    read_json,
    staff,
    store_position,
    stored_order,
    stored_stock,
)


def test_checkout_to_paid_through_the_emulator_webhook(shop: ShopUnderTest) -> None:
    teapot = new_product(shop, price=1999, stock=5)
    cup = new_product(shop, price=450, stock=10)
    alice = person(shop)
    assert add(shop, alice, teapot, 2).status_code == 201
    assert add(shop, alice, cup, 1).status_code == 201

    # Whatever the client says about money is ignored: the total comes from the products.
    placed = checkout(
        shop,
        alice,
        json={"total": 1, "amount": 1, "currency": "usd", "lines": [{"unit_price": 1}]},
    )
    assert placed.status_code == 201, placed.text
    body = placed.json()
    assert {"order_id", "client_secret", "payment_intent_id", "amount", "currency"} <= set(body)
    order_id, intent_id = body["order_id"], body["payment_intent_id"]
    assert (body["amount"], body["currency"], body["status"]) == (4448, "EUR", "pending_payment")
    assert intent_id.startswith("pi_")
    assert body["client_secret"].startswith(f"{intent_id}_secret_")

    # The PaymentIntent at the emulator: our amount, our currency, our order id.
    intent = shop.services.payments.retrieve_payment_intent(intent_id)
    assert (intent.amount, intent.currency, intent.status) == (
        4448,
        "eur",
        "requires_payment_method",
    )
    assert emulator_get(shop, f"/v1/payment_intents/{intent_id}")["metadata"]["order_id"] == (
        order_id
    )

    cart = read_json(shop, "/cart", placed, alice)
    assert cart["items"] == [] and cart["total"] == 0
    assert read_json(shop, f"/products/{teapot}", placed, alice)["stock"] == 3
    assert read_json(shop, f"/products/{cup}", placed, alice)["stock"] == 9
    order = read_json(shop, f"/orders/{order_id}", placed, alice)
    assert order["status"] == "pending_payment"
    assert order["total"] == 4448 and order["payment_intent_id"] == intent_id
    assert sorted((line["unit_price"], line["quantity"]) for line in order["lines"]) == [
        (450, 1),
        (1999, 2),
    ]

    confirmed = shop.http.post(
        f"/dev/payments/{order_id}/confirm", json={"outcome": "success"}, headers=alice.headers
    )
    assert confirmed.status_code == 202, confirmed.text
    assert confirmed.json()["status"] == "succeeded"
    paid_at = wait_for_order(shop, order_id, {"paid"})
    order = read_json(shop, f"/orders/{order_id}", paid_at, alice)
    assert order["status"] == "paid"
    assert read_json(shop, f"/products/{teapot}", paid_at, alice)["stock"] == 3  # still sold
    assert shop.services.payments.retrieve_payment_intent(intent_id).status == "succeeded"


def test_the_same_idempotency_key_replays_the_same_order(shop: ShopUnderTest) -> None:
    teapot = new_product(shop, stock=5)
    alice = person(shop)
    assert add(shop, alice, teapot, 2).status_code == 201

    first = checkout(shop, alice, key="checkout-1")
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    again = checkout(shop, alice, key="checkout-1")
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    for field in ("order_id", "payment_intent_id", "amount", "currency", "client_secret"):
        assert again.json()[field] == first.json()[field], field

    order_id = first.json()["order_id"]
    assert len(emulator_intents(shop, order_id)) == 1
    assert stored_stock(shop, teapot) == 3  # reserved once
    reservations = [
        e
        for e in shop.services.shop.events.get(UUID(teapot))
        if isinstance(e, Product.StockReserved)
    ]
    assert len(reservations) == 1
    mine = read_json(shop, "/orders", again, alice)
    assert mine["total"] == 1 and mine["items"][0]["id"] == order_id

    # The cart was emptied by the first checkout: a new key is a new, empty checkout.
    assert checkout(shop, alice, key="checkout-2").status_code == 422
    # Keys belong to their user: the same key from someone else is someone else's order.
    bob = person(shop)
    assert add(shop, bob, teapot, 1).status_code == 201
    bobs = checkout(shop, bob, key="checkout-1")
    assert bobs.status_code == 201, bobs.text
    assert bobs.json()["order_id"] != order_id
    assert bobs.json()["amount"] == 1999


def test_concurrent_retries_with_one_key_replay_one_order(shop: ShopUnderTest) -> None:
    """A double-submitted checkout: every copy names the same order and the same intent,
    even though the emulator (unlike Stripe) ignores the idempotency key we send it."""
    teapot = new_product(shop, stock=5)
    alice = person(shop)
    assert add(shop, alice, teapot, 2).status_code == 201

    answers = all_at_once([lambda: checkout(shop, alice, key="double-click")] * 10)

    assert sorted(a.status_code for a in answers) == [200] * 9 + [201], [a.text for a in answers]
    assert all(
        a.headers.get("Idempotent-Replayed") == "true" for a in answers if a.status_code == 200
    )
    replies = {
        (a.json()["order_id"], a.json()["payment_intent_id"], a.json()["client_secret"])
        for a in answers
    }
    assert len(replies) == 1
    ((order_id, intent_id, _),) = replies
    assert stored_order(shop, order_id).payment_intent_id == intent_id
    assert stored_stock(shop, teapot) == 3
    reservations = [
        e
        for e in shop.services.shop.events.get(UUID(teapot))
        if isinstance(e, Product.StockReserved)
    ]
    assert len(reservations) == 1


def test_an_empty_cart_cannot_be_checked_out(shop: ShopUnderTest) -> None:
    alice = person(shop)
    before = store_position(shop)
    never = checkout(shop, alice)
    assert never.status_code == 422, never.text
    assert "empty" in never.json()["detail"]

    teapot = new_product(shop)
    assert add(shop, alice, teapot, 1).status_code == 201
    assert shop.http.delete(f"/cart/{teapot}", headers=alice.headers).status_code == 204
    emptied = store_position(shop)
    assert checkout(shop, alice).status_code == 422
    assert checkout(shop, alice, key="k").status_code == 422
    assert store_position(shop) == emptied > before
    assert stored_stock(shop, teapot) == 5


def test_a_declined_card_leaves_the_order_payable_and_a_second_card_pays_it(
    shop: ShopUnderTest,
) -> None:
    product_id = new_product(shop, price=1999, stock=5)
    buyer = person(shop)
    assert add(shop, buyer, product_id, 2).status_code == 201
    placed = checkout(shop, buyer, key="second-try")
    assert placed.status_code == 201, placed.text
    order = Placed(buyer, product_id, 2, 1999, placed)
    assert stored_stock(shop, product_id) == 3

    failed_at = pay(shop, order, outcome="decline")
    view = read_json(shop, f"/orders/{order.id}", failed_at, buyer)
    assert view["status"] == "payment_failed"
    assert stored_stock(shop, product_id) == 3  # still held: the order can be paid
    assert stored_order(shop, order.id).reserved is True
    intent = shop.services.payments.retrieve_payment_intent(order.payment_intent_id)
    assert intent.status == "requires_payment_method"

    # The storefront's "Try again": the same key gives the same order, and a usable secret.
    again = checkout(shop, buyer, key="second-try")
    assert again.status_code == 200, again.text
    assert again.json()["order_id"] == order.id
    assert again.json()["client_secret"] == placed.json()["client_secret"]
    paid_at = pay(shop, order, outcome="success")
    view = read_json(shop, f"/orders/{order.id}", paid_at, buyer)
    assert (view["status"], view["total"]) == ("paid", 3998)
    assert stored_stock(shop, product_id) == 3  # held once, for the one order
    intent = shop.services.payments.retrieve_payment_intent(order.payment_intent_id)
    assert (intent.status, intent.amount) == ("succeeded", 3998)
    history = read_json(shop, f"/orders/{order.id}/history", paid_at, buyer)["items"]
    assert [e["type"] for e in history].count("PaymentSucceeded") == 1


def test_twenty_shoppers_race_for_the_last_unit(shop: ShopUnderTest) -> None:
    last = new_product(shop, stock=1)
    shoppers = [person(shop) for _ in range(20)]
    for shopper in shoppers:
        assert add(shop, shopper, last, 1).status_code == 201

    answers = all_at_once([partial(checkout, shop, shopper) for shopper in shoppers])

    codes = Counter(answer.status_code for answer in answers)
    assert codes == {201: 1, 409: 19}, [a.text for a in answers if a.status_code != 409]
    assert all("detail" in a.json() for a in answers if a.status_code == 409)
    winner = next(a for a in answers if a.status_code == 201)
    assert stored_stock(shop, last) == 0

    # Replay the product's whole history: the stock never went below zero on the way.
    stock, lowest, reserved = 0, 0, 0
    for event in shop.services.shop.events.get(UUID(last)):
        if isinstance(event, Product.ProductListed):
            stock = event.stock
        elif isinstance(event, Product.StockReserved):
            stock, reserved = stock - event.quantity, reserved + 1
        elif isinstance(event, Product.StockReleased):
            stock += event.quantity
        lowest = min(lowest, stock)
    assert (stock, lowest, reserved) == (0, 0, 1)

    everything = store_position(shop)
    admin = staff(shop, "admin")
    orders = read_json(shop, "/orders", everything, admin)
    assert orders["total"] == 1
    assert orders["items"][0]["id"] == winner.json()["order_id"]
    assert read_json(shop, f"/products/{last}", everything, admin)["stock"] == 0
    # A losing shopper keeps the cart that could not be checked out.
    loser = shoppers[next(i for i, a in enumerate(answers) if a.status_code == 409)]
    assert len(read_json(shop, "/cart", everything, loser)["items"]) == 1


def test_an_admin_cancels_an_unpaid_order(shop: ShopUnderTest) -> None:
    order = place_order(shop, quantity=2, stock=5)
    cancelled = shop.http.post(f"/orders/{order.id}/cancel", headers=shop.admin())
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"

    assert read_json(shop, f"/orders/{order.id}", cancelled, order.owner)["status"] == ("cancelled")
    assert read_json(shop, f"/products/{order.product_id}", cancelled, order.owner)["stock"] == 5
    intent = shop.services.payments.retrieve_payment_intent(order.payment_intent_id)
    assert intent.status == "canceled"
    # Cancelled is final: it cannot be cancelled (or paid) again.
    assert shop.http.post(f"/orders/{order.id}/cancel", headers=shop.admin()).status_code == 409
    pay_again = shop.http.post(
        f"/dev/payments/{order.id}/confirm",
        json={"outcome": "success"},
        headers=order.owner.headers,
    )
    assert pay_again.status_code == 409, pay_again.text
    assert stored_stock(shop, order.product_id) == 5


def test_only_the_owner_may_cancel_their_unpaid_order(shop: ShopUnderTest) -> None:
    order = place_order(shop, quantity=1, stock=5)
    mallory = person(shop)
    before = store_position(shop)
    theirs = shop.http.post(f"/orders/{order.id}/cancel", headers=mallory.headers)
    assert theirs.status_code == 404, theirs.text
    assert store_position(shop) == before
    assert shop.services.payments.retrieve_payment_intent(order.payment_intent_id).status == (
        "requires_payment_method"
    )

    own = shop.http.post(f"/orders/{order.id}/cancel", headers=order.owner.headers)
    assert own.status_code == 200, own.text
    assert read_json(shop, f"/orders/{order.id}", own, order.owner)["status"] == "cancelled"
    assert stored_stock(shop, order.product_id) == 5


def test_a_paid_order_is_fulfilled_not_cancelled(shop: ShopUnderTest) -> None:
    order, _ = paid_order(shop, quantity=1, stock=5)
    admin = shop.admin()

    for headers in (admin, order.owner.headers):
        refused = shop.http.post(f"/orders/{order.id}/cancel", headers=headers)
        assert refused.status_code == 409, refused.text
        assert "paid" in refused.json()["detail"]
    assert shop.services.payments.retrieve_payment_intent(order.payment_intent_id).status == (
        "succeeded"
    )

    shopper = shop.http.post(
        f"/orders/{order.id}/fulfil", json={"tracking_note": "mine"}, headers=order.owner.headers
    )
    assert shopper.status_code == 403, shopper.text
    unpaid = place_order(shop, quantity=1)
    early = shop.http.post(f"/orders/{unpaid.id}/fulfil", json={}, headers=admin)
    assert early.status_code == 409, early.text

    fulfilled = shop.http.post(
        f"/orders/{order.id}/fulfil", json={"tracking_note": "  DHL 00340434  "}, headers=admin
    )
    assert fulfilled.status_code == 200, fulfilled.text
    assert fulfilled.json()["status"] == "fulfilled"
    view = read_json(shop, f"/orders/{order.id}", fulfilled, order.owner)
    assert (view["status"], view["tracking_note"]) == ("fulfilled", "DHL 00340434")
    assert stored_stock(shop, order.product_id) == 4  # sold stays sold
    assert read_json(shop, f"/orders/{unpaid.id}", fulfilled, unpaid.owner)["status"] == (
        "pending_payment"
    )
