"""The Cart aggregate: one per user, bound to the user by a derived id."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidCommand, NotFound

CART_NAMESPACE = uuid5(NAMESPACE_URL, "https://order-platform/carts")
MAX_LINE_QUANTITY = 1000
# Keeps an order (and its stored and projected forms) to a sensible size.
MAX_LINES = 100


def cart_id_for(user_id: UUID) -> UUID:
    return uuid5(CART_NAMESPACE, str(user_id))


class Cart(Aggregate):
    class CartOpened(Aggregate.Created):
        user_id: UUID

    class ItemAddedToCart(Aggregate.Event):
        product_id: UUID
        quantity: int

    class ItemRemovedFromCart(Aggregate.Event):
        product_id: UUID

    class CartCheckedOut(Aggregate.Event):
        order_id: UUID

    @staticmethod
    def create_id(user_id: UUID, **_: Any) -> UUID:
        return cart_id_for(user_id)

    @event(CartOpened)
    def __init__(self, user_id: UUID) -> None:
        self.user_id = user_id
        self.lines: dict[UUID, int] = {}

    def add(self, product_id: UUID, quantity: int, in_stock: int) -> None:
        """Add or increase a line; the whole line must fit the stock on hand now."""
        if quantity < 1:
            raise InvalidCommand("quantity must be at least 1")
        wanted = self.lines.get(product_id, 0) + quantity
        if wanted > in_stock:
            raise InvalidCommand(
                f"only {in_stock} in stock; the cart would hold {wanted}"
                if in_stock
                else "out of stock"
            )
        if product_id not in self.lines and len(self.lines) >= MAX_LINES:
            raise InvalidCommand(f"a cart holds at most {MAX_LINES} different products")
        if wanted > MAX_LINE_QUANTITY:
            raise InvalidCommand(f"at most {MAX_LINE_QUANTITY} of one product per order")
        self._add(product_id, quantity)

    def remove(self, product_id: UUID) -> None:
        if product_id not in self.lines:
            raise NotFound("that product is not in your cart")
        self._remove(product_id)

    def check_out(self, order_id: UUID) -> None:
        self._check_out(order_id)

    @event(ItemAddedToCart)
    def _add(self, product_id: UUID, quantity: int) -> None:
        self.lines[product_id] = self.lines.get(product_id, 0) + quantity

    @event(ItemRemovedFromCart)
    def _remove(self, product_id: UUID) -> None:
        del self.lines[product_id]

    @event(CartCheckedOut)
    def _check_out(self, order_id: UUID) -> None:
        self.lines = {}
