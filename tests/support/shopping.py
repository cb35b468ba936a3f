"""Shopping helpers for the integration tests: shoppers with ids, carts, checkouts, payments
through the real emulator, Stripe-shaped webhook payloads signed like Stripe signs them, and
direct looks at the emulator and the event store (to check what was, or was not, recorded)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

import httpx

from domain.orders import Order
from domain.products import Product
from infra.payments import sign_for_testing
from tests.support.servers import POSITION, ShopUnderTest, wait_for_order

T = TypeVar("T")


@dataclass(frozen=True)
class Person:
    id: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Placed:
    """A checked-out order: who placed it, what it holds, what checkout answered."""

    owner: Person
    product_id: str
    quantity: int
    price: int
    response: httpx.Response

    @property
    def id(self) -> str:
        return str(self.response.json()["order_id"])

    @property
    def payment_intent_id(self) -> str:
        return str(self.response.json()["payment_intent_id"])

    @property
    def total(self) -> int:
        return self.price * self.quantity


# -- people -----------------------------------------------------------------------------------


def person(shop: ShopUnderTest) -> Person:
    account = shop.register()
    return Person(account["id"], shop.login(account["username"]))


def staff(shop: ShopUnderTest, role: str) -> Person:
    name = role + uuid.uuid4().hex[:8]
    user, _ = shop.services.accounts.register(name, f"{name}@example.com", "staff password", role)
    return Person(str(user.id), shop.login(name, "staff password"))


# -- catalog, cart, checkout -----------------------------------------------------------------


def new_product(shop: ShopUnderTest, price: int = 1999, stock: int = 5) -> str:
    return str(shop.create_product(price=price, stock=stock).json()["id"])


def add(shop: ShopUnderTest, who: Person, product_id: str, quantity: object) -> httpx.Response:
    return shop.http.post(
        "/cart", json={"product_id": product_id, "quantity": quantity}, headers=who.headers
    )


def checkout(
    shop: ShopUnderTest, who: Person, key: str | None = None, **kwargs: Any
) -> httpx.Response:
    headers = dict(who.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return shop.http.post("/checkout", headers=headers, **kwargs)


def place_order(
    shop: ShopUnderTest,
    *,
    price: int = 1999,
    quantity: int = 2,
    stock: int = 5,
    owner: Person | None = None,
) -> Placed:
    product_id = new_product(shop, price=price, stock=stock)
    owner = owner or person(shop)
    added = add(shop, owner, product_id, quantity)
    assert added.status_code == 201, added.text
    placed = checkout(shop, owner)
    assert placed.status_code == 201, placed.text
    return Placed(owner, product_id, quantity, price, placed)


def pay(shop: ShopUnderTest, order: Placed, outcome: str = "success") -> int:
    """Pay at the emulator; the order moves only through the emulator's own webhook.
    Returns the position to read the views with."""
    confirmed = shop.http.post(
        f"/dev/payments/{order.id}/confirm", json={"outcome": outcome}, headers=order.owner.headers
    )
    assert confirmed.status_code == 202, confirmed.text
    expected = "paid" if outcome == "success" else "payment_failed"
    return wait_for_order(shop, order.id, {expected})


def paid_order(shop: ShopUnderTest, **kwargs: Any) -> tuple[Placed, int]:
    order = place_order(shop, **kwargs)
    return order, pay(shop, order)


# -- the event store and the views ------------------------------------------------------------


def store_position(shop: ShopUnderTest) -> int:
    return shop.services.shop.position()


def stored_order(shop: ShopUnderTest, order_id: str) -> Order:
    return shop.services.shop.load(Order, UUID(order_id))


def stored_stock(shop: ShopUnderTest, product_id: str) -> int:
    return shop.services.shop.load(Product, UUID(product_id)).stock


def position_of(response: httpx.Response) -> int:
    return int(response.headers[POSITION])


def read_json(
    shop: ShopUnderTest, path: str, after: httpx.Response | int, who: Person
) -> dict[str, Any]:
    answer = shop.read(path, after=after, headers=who.headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


# -- the emulator -----------------------------------------------------------------------------


def emulator_get(shop: ShopUnderTest, path: str, **params: str) -> dict[str, Any]:
    """Ask the emulator directly, as any Stripe client would (secret key as basic auth)."""
    base = shop.settings.stripe_api_base
    assert base is not None
    answer = httpx.get(
        f"{base}{path}", params=params, auth=(shop.settings.stripe_secret_key, ""), timeout=10
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def emulator_intents(shop: ShopUnderTest, order_id: str) -> list[dict[str, Any]]:
    listed = emulator_get(shop, "/v1/payment_intents", limit="100")["data"]
    return [pi for pi in listed if (pi.get("metadata") or {}).get("order_id") == order_id]


def emulator_refunds(shop: ShopUnderTest, payment_intent_id: str) -> list[dict[str, Any]]:
    refunds = emulator_get(shop, "/v1/refunds", payment_intent=payment_intent_id, limit="100")
    return list(refunds["data"])


# -- Stripe-shaped webhooks ---------------------------------------------------------------------


def stripe_event(
    kind: str, obj: dict[str, Any], event_id: str | None = None, created: int | None = None
) -> dict[str, Any]:
    return {
        "id": event_id or "evt_" + uuid.uuid4().hex[:24],
        "object": "event",
        "api_version": "2024-06-20",
        "type": kind,
        "created": created or int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "data": {"object": obj},
    }


def intent_object(order: Placed, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": order.payment_intent_id,
        "object": "payment_intent",
        "amount": order.total,
        "currency": "eur",
        "status": status,
        "metadata": {"order_id": order.id},
        **extra,
    }


def charge_object(order: Placed, amount_refunded: int) -> dict[str, Any]:
    return {
        "id": "ch_" + order.payment_intent_id[3:],
        "object": "charge",
        "amount": order.total,
        "amount_refunded": amount_refunded,
        "currency": "eur",
        "payment_intent": order.payment_intent_id,
        "refunded": amount_refunded >= order.total,
        "status": "succeeded",
    }


def refund_object(order: Placed, refund_id: str, amount: int, status: str) -> dict[str, Any]:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "currency": "eur",
        "payment_intent": order.payment_intent_id,
        "status": status,
    }


def dispute_object(
    order: Placed, dispute_id: str, status: str, reason: str = "fraudulent"
) -> dict[str, Any]:
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": order.total,
        "currency": "eur",
        "payment_intent": order.payment_intent_id,
        "reason": reason,
        "status": status,
    }


def raw(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, indent=2).encode()


def deliver(
    shop: ShopUnderTest,
    body: bytes | dict[str, Any],
    *,
    secret: str | None = None,
    timestamp: int | None = None,
    signature: str | None = None,
    client: httpx.Client | None = None,
) -> httpx.Response:
    """POST a webhook signed as Stripe signs it (or with the given signature header)."""
    payload = raw(body) if isinstance(body, dict) else body
    headers = {"Content-Type": "application/json"}
    if signature is None:
        signature = sign_for_testing(
            payload, secret or shop.settings.stripe_webhook_secret, timestamp
        )
    if signature:
        headers["Stripe-Signature"] = signature
    return (client or shop.http).post("/webhooks/stripe", content=payload, headers=headers)


# -- concurrency ------------------------------------------------------------------------------


def all_at_once(calls: list[Callable[[], T]]) -> list[T]:
    """Run the calls from as many threads, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
