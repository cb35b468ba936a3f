"""The Cart aggregate: one per checkout. A checkout closes the cart and names the next one.

Carts used to last a user's lifetime (id `cart_id_for(user)`), so each checkout made the next
load slower. Now the cart after order X has the id `next_cart_id_for(user, X)`, and the user's
Account records which cart is current. Lifetime carts stored by earlier code still load and
stay current until their next checkout.
"""

from __future__ import annotations

from typing import Any, cast
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from eventsourcing.domain import Snapshot as AggregateSnapshot

from domain.errors import ConcurrentUpdate, InvalidCommand, NotFound

CART_NAMESPACE = uuid5(NAMESPACE_URL, "https://order-platform/carts")
MAX_LINE_QUANTITY = 1000
# Keeps an order (and its stored and projected forms) to a sensible size.
MAX_LINES = 100


def cart_id_for(user_id: UUID) -> UUID:
    """The user's first cart (and, in histories of earlier code, their only one)."""
    return uuid5(CART_NAMESPACE, str(user_id))


def next_cart_id_for(user_id: UUID, order_id: UUID) -> UUID:
    """The cart that follows order `order_id`: derived, so a retried checkout names the same."""
    return uuid5(CART_NAMESPACE, f"{user_id}:after:{order_id}")


class Cart(Aggregate):
    class CartOpened(Aggregate.Created):
        user_id: UUID

    class ItemAddedToCart(Aggregate.Event):
        product_id: UUID
        quantity: int

    class ItemRemovedFromCart(Aggregate.Event):
        product_id: UUID

    class ItemQuantityChanged(Aggregate.Event):
        """A line set to a quantity (at least 1; setting 0 removes the line instead)."""

        product_id: UUID
        quantity: int

    class CartCheckedOut(Aggregate.Event):
        """v2 names the cart that follows; v1 (lifetime carts) was emptied and used again."""

        class_version = 2
        order_id: UUID
        next_cart_id: UUID | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["next_cart_id"] = None

    class Snapshot(AggregateSnapshot):
        """Lines are keyed by product id; JSON objects need string keys, so store pairs."""

        @classmethod
        def take(cls, aggregate: Any) -> Cart.Snapshot:
            snapshot = super().take(aggregate)
            state = dict(snapshot.state)
            state["lines"] = [[str(pid), quantity] for pid, quantity in state["lines"].items()]
            return cls(
                originator_id=snapshot.originator_id,
                originator_version=snapshot.originator_version,
                timestamp=snapshot.timestamp,
                topic=snapshot.topic,
                state=state,
            )

        def mutate(self, _: None) -> Cart:
            cart = super().mutate(_)
            assert isinstance(cart, Cart)
            pairs: list[list[Any]] = cast(Any, cart.lines)
            cart.lines = {UUID(pid): quantity for pid, quantity in pairs}
            return cart

    @staticmethod
    def create_id(user_id: UUID, **_: Any) -> UUID:
        return cart_id_for(user_id)

    @event(CartOpened)
    def __init__(self, user_id: UUID) -> None:
        self.user_id = user_id
        self.lines: dict[UUID, int] = {}
        self.next_cart_id: UUID | None = None

    @classmethod
    def open(cls, user_id: UUID, cart_id: UUID) -> Cart:
        return cls._create(cls.CartOpened, id=cart_id, user_id=user_id)

    @property
    def closed(self) -> bool:
        """Checked out for good: its successor is the user's cart now."""
        return self.next_cart_id is not None

    def add(self, product_id: UUID, quantity: int, in_stock: int) -> None:
        """Add or increase a line; the whole line must fit the stock on hand now."""
        self._check_open()
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

    def set_quantity(self, product_id: UUID, quantity: int, in_stock: int) -> None:
        """Set a line to `quantity`; 0 removes it. More than now must fit the stock on hand;
        fewer is always allowed (it can only help)."""
        self._check_open()
        current = self.lines.get(product_id, 0)
        if quantity < 0:
            raise InvalidCommand("quantity must not be negative")
        if quantity == current:
            return
        if quantity == 0:
            self._remove(product_id)
            return
        if quantity > MAX_LINE_QUANTITY:
            raise InvalidCommand(f"at most {MAX_LINE_QUANTITY} of one product per order")
        if quantity > current and quantity > in_stock:
            raise InvalidCommand(
                f"only {in_stock} in stock; the cart would hold {quantity}"
                if in_stock
                else "out of stock"
            )
        if product_id not in self.lines and len(self.lines) >= MAX_LINES:
            raise InvalidCommand(f"a cart holds at most {MAX_LINES} different products")
        self._set_quantity(product_id, quantity)

    def remove(self, product_id: UUID) -> None:
        self._check_open()
        if product_id not in self.lines:
            raise NotFound("that product is not in your cart")
        self._remove(product_id)

    def check_out(self, order_id: UUID, next_cart_id: UUID) -> None:
        self._check_open()
        self._check_out(order_id, next_cart_id)

    def _check_open(self) -> None:
        # Only a command that read the user's account before a concurrent checkout gets here;
        # ConcurrentUpdate makes it retry, and the retry finds the next cart.
        if self.closed:
            raise ConcurrentUpdate("the cart was checked out meanwhile; try again")

    @event(ItemAddedToCart)
    def _add(self, product_id: UUID, quantity: int) -> None:
        self.lines[product_id] = self.lines.get(product_id, 0) + quantity

    @event(ItemQuantityChanged)
    def _set_quantity(self, product_id: UUID, quantity: int) -> None:
        self.lines[product_id] = quantity

    @event(ItemRemovedFromCart)
    def _remove(self, product_id: UUID) -> None:
        del self.lines[product_id]

    @event(CartCheckedOut)
    def _check_out(self, order_id: UUID, next_cart_id: UUID | None) -> None:
        self.lines = {}
        self.next_cart_id = next_cart_id
