"""GET /cart: the user's lines, priced at the catalog's current prices."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import or_, select

from domain.carts import cart_id_for
from projections.carts import cart_lines, carts
from projections.catalog import catalog_products as products
from query_api.schemas import CartLineView, CartView
from query_api.waiting import caught_up
from web.app import ServicesDep
from web.auth import CurrentUser

router = APIRouter(tags=["cart"])


# The lines come from the cart view and their prices from the catalog view: two projections
# that move independently, so read-your-writes must wait for both.
@router.get(
    "/cart",
    response_model=CartView,
    dependencies=[Depends(caught_up("carts")), Depends(caught_up("catalog"))],
)
def get_cart(user: CurrentUser, services: ServicesDep) -> CartView:
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
    with services.read_engine.connect() as conn:
        rows = conn.execute(query).all()
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
    currency = items[0].currency if items else services.settings.currency
    return CartView(items=items, total=sum(i.line_total for i in items), currency=currency)
