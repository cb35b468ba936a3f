"""The signed-in user's cart: add or increase a line, remove a line."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from command_api.schemas import CartItemIn, CartItemOut, CartQuantityIn
from web.app import ServicesDep
from web.auth import CurrentUser
from web.headers import set_position

router = APIRouter(tags=["cart"])


@router.post("/cart", status_code=201, response_model=CartItemOut)
def add_to_cart(
    body: CartItemIn, user: CurrentUser, services: ServicesDep, response: Response
) -> CartItemOut:
    cart, position = services.shop.add_to_cart(user.id, body.product_id, body.quantity)
    set_position(response, position)
    return CartItemOut(product_id=body.product_id, quantity=cart.lines[body.product_id])


@router.put("/cart/{product_id}", response_model=CartItemOut)
def set_quantity(
    product_id: UUID,
    body: CartQuantityIn,
    user: CurrentUser,
    services: ServicesDep,
    response: Response,
) -> CartItemOut:
    """Set a line's quantity; 0 removes the line (and is no error when there is none)."""
    set_position(response, services.shop.set_cart_quantity(user.id, product_id, body.quantity))
    return CartItemOut(product_id=product_id, quantity=body.quantity)


@router.delete("/cart/{product_id}", status_code=204, response_class=Response)
def remove_from_cart(product_id: UUID, user: CurrentUser, services: ServicesDep) -> Response:
    response = Response(status_code=204)
    set_position(response, services.shop.remove_from_cart(user.id, product_id))
    return response
