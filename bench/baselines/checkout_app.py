"""The bare checkout: FastAPI + eventsourcing on PostgreSQL, saving the checkout's events
with no authentication, no accounts, no idempotency and no views.

Plain `def` endpoints (FastAPI's thread pool), one Application per process, the same pool
size as the shop's event store. The payment intent comes from an instant in-process
stand-in, as in the project's instant figure. Configured by BENCH_BARE_PG_DBNAME (database on
127.0.0.1:5432, user postgres).
"""

from __future__ import annotations

import os
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from bench.baselines.checkout_domain import BareShop, Cart, Order, PaymentIntentLink, Product


class ProductIn(BaseModel):
    name: str
    description: str = ""
    price: int
    currency: str = "EUR"
    stock: int


class ItemIn(BaseModel):
    user_id: UUID
    product_id: UUID
    quantity: int


class CheckoutIn(BaseModel):
    user_id: UUID


def event_store_env(dbname: str) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": "127.0.0.1",
        "POSTGRES_PORT": "5432",
        "POSTGRES_USER": "postgres",
        "POSTGRES_PASSWORD": "",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_LOCK_TIMEOUT": "5",
        "POSTGRES_POOL_SIZE": "10",
        "POSTGRES_MAX_OVERFLOW": "30",
        "CREATE_TABLE": "y",
    }


def _get(shop: BareShop, cls: type[Any], aggregate_id: UUID) -> Any:
    try:
        aggregate: Any = shop.repository.get(aggregate_id)
    except AggregateNotFoundError:
        raise HTTPException(404, f"{cls.__name__.lower()} not found") from None
    if not isinstance(aggregate, cls):
        raise HTTPException(404, f"{cls.__name__.lower()} not found")
    return aggregate


def _save(shop: BareShop, *aggregates: Any) -> int:
    try:
        recordings = shop.save(*aggregates)
    except IntegrityError:
        raise HTTPException(409, "changed meanwhile") from None
    return recordings[-1].notification.id


def create_app() -> FastAPI:
    shop = BareShop(env=event_store_env(os.environ["BENCH_BARE_PG_DBNAME"]))
    app = FastAPI(title="bare checkout")

    @app.get("/ping")
    def ping() -> str:
        return "pong"

    @app.post("/products", status_code=201)
    def list_product(body: ProductIn) -> JSONResponse:
        product = Product(body.name, body.description, body.price, body.currency, body.stock)
        _save(shop, product)
        return JSONResponse({"id": str(product.id)}, status_code=201)

    @app.post("/carts/{cart_id}/items", status_code=201)
    def add_to_cart(cart_id: UUID, body: ItemIn) -> JSONResponse:
        product = _get(shop, Product, body.product_id)
        cart: Any
        try:
            cart = shop.repository.get(cart_id)
        except AggregateNotFoundError:
            cart = Cart(cart_id=cart_id, user_id=body.user_id)
        wanted = cart.lines.get(body.product_id, 0) + body.quantity
        if body.quantity < 1 or wanted > product.stock:
            raise HTTPException(422, "not in stock")
        cart.add(body.product_id, body.quantity)
        position = _save(shop, cart)
        return JSONResponse(
            {"product_id": str(body.product_id), "quantity": wanted},
            status_code=201,
            headers={"X-Event-Position": str(position)},
        )

    @app.post("/carts/{cart_id}/checkout", status_code=201)
    def checkout(cart_id: UUID, body: CheckoutIn) -> JSONResponse:
        cart = _get(shop, Cart, cart_id)
        if cart.user_id != body.user_id or not cart.lines:
            raise HTTPException(422, "nothing to check out")
        order_id = uuid4()
        products = [_get(shop, Product, product_id) for product_id in cart.lines]
        lines = []
        for product in products:
            quantity = cart.lines[product.id]
            if quantity > product.stock:
                raise HTTPException(409, "out of stock")
            product.reserve(order_id, quantity)
            lines.append(
                {
                    "product_id": str(product.id),
                    "name": product.name,
                    "unit_price": product.price,
                    "quantity": quantity,
                }
            )
        total = sum(line["unit_price"] * line["quantity"] for line in lines)
        currency = products[0].currency
        order = Order(order_id, body.user_id, lines, total, currency, str(body.user_id))
        cart.check_out(order_id)
        _save(shop, order, cart, *products)
        pi_id = f"pi_bare_{order_id.hex}"  # the instant payment stand-in
        order.attach(pi_id, total, currency, str(body.user_id))
        position = _save(shop, order, PaymentIntentLink(pi_id, order_id))
        return JSONResponse(
            {
                "order_id": str(order_id),
                "status": "pending_payment",
                "amount": total,
                "currency": currency,
                "payment_intent_id": pi_id,
                "client_secret": f"{pi_id}_secret_bare",
            },
            status_code=201,
            headers={"X-Event-Position": str(position)},
        )

    return app
