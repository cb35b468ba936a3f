"""The cart view (SQL): each cart's lines; prices are joined from the catalog when read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Integer, Table, Uuid

from domain.carts import Cart
from infra.read_store import views_metadata
from projections.base import SqlProjection, handles
from projections.batch import Plan, ViewBatch

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
    tables = (cart_lines,)

    def plan(self, event: Any, plan: Plan) -> None:
        plan.load(cart_lines.c.cart_id, event.originator_id)  # the cart's lines, all of them

    @handles(Cart.ItemAddedToCart)
    def _added(self, view: ViewBatch, event: Any, position: int) -> None:
        line = (event.originator_id, event.product_id)
        if not view.update(cart_lines, line, add={"quantity": event.quantity}):
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
