"""The cart view (SQL): each open cart's owner and lines; prices are joined from the catalog
when read. A cart's row and lines go at checkout, so a user's rows are their current cart's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Integer, Table, Uuid

from domain.carts import Cart
from infra.read_store import views_metadata
from projections.base import SqlProjection, handles
from projections.batch import Plan, ViewBatch

# Open carts and whose they are: a cart has its own id since carts are per checkout.
carts = Table(
    "carts",
    views_metadata,
    Column("cart_id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False, index=True),
)

cart_lines = Table(
    "cart_lines",
    views_metadata,
    Column("cart_id", Uuid, primary_key=True),
    Column("product_id", Uuid, primary_key=True),
    Column("quantity", Integer, nullable=False),
    Column("added_position", BigInteger, nullable=False),
)


class CartView(SqlProjection):
    name = "carts"
    tables = (carts, cart_lines)

    def plan(self, event: Any, plan: Plan) -> None:
        if isinstance(event, Cart.CartOpened):
            plan.fresh(carts.c.cart_id, event.originator_id)
            plan.fresh(cart_lines.c.cart_id, event.originator_id)
        else:
            plan.load(carts.c.cart_id, event.originator_id)
            plan.load(cart_lines.c.cart_id, event.originator_id)  # the cart's lines, all of them

    @handles(Cart.CartOpened)
    def _opened(self, view: ViewBatch, event: Any, position: int) -> None:
        view.insert(carts, cart_id=event.originator_id, user_id=event.user_id)

    @handles(Cart.ItemAddedToCart)
    def _added(self, view: ViewBatch, event: Any, position: int) -> None:
        line = (event.originator_id, event.product_id)
        if not view.update(cart_lines, line, add={"quantity": event.quantity}):
            self._new_line(view, event, position)

    @handles(Cart.ItemQuantityChanged)
    def _quantity(self, view: ViewBatch, event: Any, position: int) -> None:
        line = (event.originator_id, event.product_id)
        if not view.update(cart_lines, line, quantity=event.quantity):
            self._new_line(view, event, position)

    def _new_line(self, view: ViewBatch, event: Any, position: int) -> None:
        view.insert(
            cart_lines,
            cart_id=event.originator_id,
            product_id=event.product_id,
            quantity=event.quantity,
            added_position=position,
        )

    @handles(Cart.ItemRemovedFromCart)
    def _removed(self, view: ViewBatch, event: Any, position: int) -> None:
        view.delete(cart_lines, (event.originator_id, event.product_id))

    @handles(Cart.CartCheckedOut)
    def _checked_out(self, view: ViewBatch, event: Any, position: int) -> None:
        for line in view.where(cart_lines, "cart_id", event.originator_id):
            view.delete(cart_lines, (line["cart_id"], line["product_id"]))
        view.delete(carts, event.originator_id)
