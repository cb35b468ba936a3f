"""The signed-in user's cart: add or increase a line, remove a line."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from command_api.schemas import CartItemIn, CartItemOut
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


@router.delete("/cart/{product_id}", status_code=204, response_class=Response)
def remove_from_cart(product_id: UUID, user: CurrentUser, services: ServicesDep) -> Response:
    response = Response(status_code=204)
    set_position(response, services.shop.remove_from_cart(user.id, product_id))
    return response
