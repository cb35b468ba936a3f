"""Catalog administration: list, revise and delist products (admins only)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response

from command_api.schemas import ProductIn
from domain.products import Product
from web.app import ServicesDep
from web.auth import AdminUser
from web.headers import etag, expected_version, set_position
from web.schemas import ImageOut, ProductOut

router = APIRouter(tags=["catalog"])

IfMatch = Annotated[int | None, Depends(expected_version)]


def product_out(product: Product) -> ProductOut:
    return ProductOut(
        id=product.id,
        name=product.name,
        description=product.description,
        price=product.price,
        currency=product.currency,
        stock=product.stock,
        version=product.version,
        tax_class=product.tax_class,
        created_at=product.created_on,
        updated_at=product.modified_on,
        images=[
            ImageOut.of(image_id=image["id"], **{k: v for k, v in image.items() if k != "id"})
            for image in product.images
        ],
    )


def _fields(body: ProductIn, default_currency: str | None) -> dict[str, object]:
    """A new product without a currency takes the shop's; an edit without one keeps the
    product's (None), never re-denominating its price."""
    currency = body.currency or default_currency
    return {
        "name": body.name,
        "description": body.description,
        "price": body.price,
        "currency": currency.upper() if currency else None,
        "stock": body.stock,
        "tax_class": body.tax_class,
    }


def _answer(response: Response, product: Product, position: int) -> ProductOut:
    set_position(response, position)
    response.headers["ETag"] = etag(product.version)
    return product_out(product)


@router.post("/products", status_code=201, response_model=ProductOut)
def create_product(
    body: ProductIn, admin: AdminUser, services: ServicesDep, response: Response
) -> ProductOut:
    product, position = services.shop.list_product(**_fields(body, services.settings.currency))
    response.headers["Location"] = f"/products/{product.id}"
    return _answer(response, product, position)


@router.put("/products/{product_id}", response_model=ProductOut)
def update_product(
    product_id: UUID,
    body: ProductIn,
    admin: AdminUser,
    services: ServicesDep,
    response: Response,
    version: IfMatch,
) -> ProductOut:
    product, position = services.shop.revise_product(product_id, version, **_fields(body, None))
    return _answer(response, product, position)


@router.delete("/products/{product_id}", status_code=204, response_class=Response)
def delete_product(
    product_id: UUID, admin: AdminUser, services: ServicesDep, version: IfMatch
) -> Response:
    position = services.shop.delist_product(product_id, version)
    response = Response(status_code=204)
    set_position(response, position)
    return response
