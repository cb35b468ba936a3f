"""The cart view (SQL): each open cart's owner and lines; prices are joined from the catalog
when read. A cart's row and lines go at checkout, so a user's rows are their current cart's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Connection, Integer, Table, Uuid, delete

from domain.carts import Cart
from infra.read_store import views_metadata
from projections.base import SqlProjection, handles

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

    @handles(Cart.CartOpened)
    def _opened(self, conn: Connection, event: Any, position: int) -> None:
        self.insert_row(conn, carts, cart_id=event.originator_id, user_id=event.user_id)

    @handles(Cart.ItemAddedToCart)
    def _added(self, conn: Connection, event: Any, position: int) -> None:
        line = {"cart_id": event.originator_id, "product_id": event.product_id}
        if not self.update_row(conn, cart_lines, line, add={"quantity": event.quantity}):
            self.insert_row(
                conn, cart_lines, **line, quantity=event.quantity, added_position=position
            )

    @handles(Cart.ItemRemovedFromCart)
    def _removed(self, conn: Connection, event: Any, position: int) -> None:
        conn.execute(
            delete(cart_lines).where(
                (cart_lines.c.cart_id == event.originator_id)
                & (cart_lines.c.product_id == event.product_id)
            )
        )

    @handles(Cart.CartCheckedOut)
    def _checked_out(self, conn: Connection, event: Any, position: int) -> None:
        conn.execute(delete(cart_lines).where(cart_lines.c.cart_id == event.originator_id))
        conn.execute(delete(carts).where(carts.c.cart_id == event.originator_id))
