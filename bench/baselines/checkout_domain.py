"""The bare checkout's aggregates: the events the shop's checkout stores, in the same shapes
and transactions, with no rule beyond what keeps stock honest.

A flow is add-to-cart (CartOpened + ItemAddedToCart), checkout (OrderPlaced, CartCheckedOut,
StockReserved in one transaction) and the payment intent (PaymentIntentCreated +
PaymentIntentLinked in one transaction). A new cart per checkout keeps every stream short.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

_LINKS = uuid5(NAMESPACE_URL, "https://order-platform/bench/bare-links")


class Product(Aggregate):
    @event("ProductListed")
    def __init__(self, name: str, description: str, price: int, currency: str, stock: int):
        self.name = name
        self.description = description
        self.price = price
        self.currency = currency
        self.stock = stock

    @event("StockReserved")
    def reserve(self, order_id: UUID, quantity: int) -> None:
        self.stock -= quantity


class Cart(Aggregate):
    @staticmethod
    def create_id(cart_id: UUID, **_: Any) -> UUID:
        return cart_id  # the client names its cart: no lookup of "the user's current cart"

    @event("CartOpened")
    def __init__(self, cart_id: UUID, user_id: UUID) -> None:
        self.user_id = user_id
        self.lines: dict[UUID, int] = {}

    @event("ItemAddedToCart")
    def add(self, product_id: UUID, quantity: int) -> None:
        self.lines[product_id] = self.lines.get(product_id, 0) + quantity

    @event("CartCheckedOut")
    def check_out(self, order_id: UUID) -> None:
        self.lines = {}


class Order(Aggregate):
    @staticmethod
    def create_id(order_id: UUID, **_: Any) -> UUID:
        return order_id

    @event("OrderPlaced")
    def __init__(
        self,
        order_id: UUID,
        user_id: UUID,
        lines: list[dict[str, Any]],
        total: int,
        currency: str,
        actor: str,
    ) -> None:
        self.user_id = user_id
        self.total = total
        self.currency = currency
        self.payment_intent_id: str | None = None

    @event("PaymentIntentCreated")
    def attach(self, payment_intent_id: str, amount: int, currency: str, actor: str) -> None:
        self.payment_intent_id = payment_intent_id


class PaymentIntentLink(Aggregate):
    @staticmethod
    def create_id(payment_intent_id: str, **_: Any) -> UUID:
        return uuid5(_LINKS, payment_intent_id)

    @event("PaymentIntentLinked")
    def __init__(self, payment_intent_id: str, order_id: UUID) -> None:
        self.order_id = order_id


class BareShop(Application[UUID]):
    name = "bareshop"
