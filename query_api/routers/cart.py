"""GET /cart: the user's lines, priced at the catalog's current prices."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import or_, select

from domain.carts import cart_id_for
from projections.carts import cart_lines, carts
from projections.catalog import catalog_products as products
from query_api.reads import CARTS, CATALOG, ReadsDep
from query_api.schemas import CartLineView, CartView
from query_api.waiting import Position
from web.auth import CurrentUser

router = APIRouter(tags=["cart"])


@router.get("/cart", response_model=CartView)
async def get_cart(user: CurrentUser, reads: ReadsDep, position: Position) -> CartView:
    # The lines come from the cart view and their prices from the catalog view: two
    # projections that move independently, so read-your-writes waits for both.
    await reads.caught_up(position, CARTS, CATALOG)
    query = (
        select(
            cart_lines.c.product_id,
            cart_lines.c.quantity,
            products.c.name,
            products.c.price,
            products.c.currency,
            products.c.delisted,
            products.c.stock,
        )
        .join(products, products.c.id == cart_lines.c.product_id)
        .where(
            # The user's open cart; a lifetime cart of earlier releases has no `carts` row
            # until it is opened again by a rebuild, so it is named by its derived id.
            or_(
                cart_lines.c.cart_id.in_(select(carts.c.cart_id).where(carts.c.user_id == user.id)),
                cart_lines.c.cart_id == cart_id_for(user.id),
            )
        )
        .order_by(cart_lines.c.added_position)
    )
    async with reads.views.connect() as conn:
        rows = (await conn.execute(query)).all()
    items = [
        CartLineView(
            product_id=row.product_id,
            name=row.name,
            unit_price=row.price,
            currency=row.currency,
            quantity=row.quantity,
            line_total=row.price * row.quantity,
            available=not row.delisted and row.stock >= row.quantity,
        )
        for row in rows
    ]
    currency = items[0].currency if items else reads.settings.currency
    return CartView(
        items=items,
        total=sum(i.line_total for i in items),
        currency=currency,
        count=sum(i.quantity for i in items),
    )
