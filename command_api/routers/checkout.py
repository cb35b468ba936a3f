"""Checkout: place the order (reserving stock), then create its Stripe PaymentIntent; and
the quote that shows the same figures before anything is placed."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from application.checkout import CheckoutChoice, ShopRules, check_out, checkout_terms
from application.payments import PaymentError
from command_api.payment_errors import provider_error
from command_api.schemas import (
    CheckoutIn,
    CheckoutOut,
    QuoteLine,
    QuoteOut,
    ShippingChoice,
    TaxAmount,
)
from domain.ordering import CheckoutTerms
from domain.pricing import Figures
from infra.services import Services
from web.app import ServicesDep
from web.auth import CurrentUser
from web.errors import ErrorOut
from web.headers import IdempotencyKey, set_position

router = APIRouter(tags=["checkout"])


def _terms(services: Services, user_id: UUID, body: CheckoutIn | None, keep: bool) -> CheckoutTerms:
    body = body or CheckoutIn()
    choice = CheckoutChoice(
        shipping_address=body.shipping_address.raw() if body.shipping_address else None,
        address_id=body.address_id,
        billing_address=body.billing_address.raw() if body.billing_address else None,
        shipping_method_id=body.shipping_method_id,
        discount_code=body.discount_code,
    )
    settings = services.settings
    rules = ShopRules(settings.prices_include_tax, settings.shop_country)
    return checkout_terms(services.addresses, user_id, choice, rules, keep)


def tax_amounts(by_rate: dict[Any, int]) -> list[TaxAmount]:
    return [
        TaxAmount(rate_bp=int(rate), amount=amount)
        for rate, amount in sorted(by_rate.items(), key=lambda i: int(i[0]))
    ]


@router.post(
    "/checkout",
    status_code=201,
    response_model=CheckoutOut,
    responses={
        200: {"model": CheckoutOut, "description": "A repeated Idempotency-Key"},
        502: {"model": ErrorOut, "description": "Stripe refused the PaymentIntent"},
    },
)
def checkout(
    user: CurrentUser,
    services: ServicesDep,
    response: Response,
    body: CheckoutIn | None = None,
    idempotency_key: IdempotencyKey = None,
) -> CheckoutOut:
    """Place the cart as an order at the figures POST /checkout/quote shows, and open its
    PaymentIntent for the total. A repeated key (or, without one, a retry whose cart was
    already checked out) answers 200 with that order, and a usable client secret while the
    order can still be paid (after a declined card, too)."""
    terms = _terms(services, user.id, body, keep=True)
    try:
        result = check_out(services.shop, services.payments, user.id, idempotency_key, terms)
    except PaymentError as error:
        raise provider_error(error) from None
    if not result.placed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    set_position(response, result.position)
    order, intent = result.order, result.intent
    return CheckoutOut(
        order_id=order.id,
        status=order.status,
        subtotal=order.subtotal,
        discount=order.discount,
        shipping=order.shipping,
        tax=order.tax,
        total=order.total,
        amount=order.total,
        currency=order.currency,
        tax_by_rate=tax_amounts(order.tax_by_rate),
        payment_intent_id=intent.id if intent else order.payment_intent_id,
        client_secret=intent.client_secret if intent else None,
    )


@router.post("/checkout/quote", response_model=QuoteOut)
def checkout_quote(
    user: CurrentUser, services: ServicesDep, body: CheckoutIn | None = None
) -> QuoteOut:
    """The figures of POST /checkout with the same body (subtotal, discount, shipping, tax per
    rate, total), nothing placed or kept: 422 naming the field that cannot be."""
    priced = services.shop.quote_order(user.id, _terms(services, user.id, body, keep=False))
    figures: Figures = priced.figures
    return QuoteOut(
        subtotal=figures.subtotal,
        discount=figures.discount,
        shipping=figures.shipping,
        tax=figures.tax,
        total=figures.total,
        currency=priced.currency,
        tax_by_rate=tax_amounts(figures.tax_by_rate),
        shipping_method=ShippingChoice(**priced.shipping.as_dict()) if priced.shipping else None,
        discount_code=priced.code.code if priced.code else None,
        lines=[QuoteLine(**line) for line in priced.lines],
    )
