"""Checkout: place the order (reserving stock), then open its PaymentIntent at the provider.

A resumable workflow: every step is recorded before the next one starts, so a retry with the
same Idempotency-Key picks up where an earlier attempt stopped (the order exists: find it; the
PaymentIntent exists: retrieve it). An order whose card was declined stays payable: a retry
gets the same PaymentIntent's client secret, to pay it with another card.

The addresses are personal data: they are checked and kept here (the address port) and the
order's events name them by id only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from application.payments import PaymentIntentRef, PaymentPort
from domain.addresses import Address, parse_address
from domain.errors import InvalidFields, NotFound
from domain.ordering import CheckoutTerms
from domain.orders import Order
from domain.shop import Shop

PAYABLE = ("pending_payment", "payment_failed")


class AddressPort(Protocol):
    """Where addresses are kept (infra/address_store.py)."""

    def entry(self, user_id: UUID, address_id: UUID) -> Any: ...

    def keep_for_order(self, user_id: UUID, address: Address) -> UUID: ...


@dataclass(frozen=True)
class CheckoutChoice:
    """What the shopper sent: an address (new, or from their book), maybe a billing address,
    a shipping method and a discount code."""

    shipping_address: dict[str, Any] | None = None
    address_id: UUID | None = None
    billing_address: dict[str, Any] | None = None
    shipping_method_id: str | None = None
    discount_code: str | None = None


@dataclass(frozen=True)
class ShopRules:
    """The shop's own settings a checkout follows."""

    prices_include_tax: bool = True
    country: str | None = None  # where orders without an address are taxed


def checkout_terms(
    addresses: AddressPort,
    user_id: UUID,
    choice: CheckoutChoice,
    rules: ShopRules,
    keep: bool,
) -> CheckoutTerms:
    """The order's terms, its addresses checked (422 naming each field) and, with `keep`,
    kept as personal data with ids for the order to name (a quote keeps nothing)."""
    shipping = _address(addresses, user_id, choice.shipping_address, choice.address_id)
    billing = _address(addresses, user_id, choice.billing_address, None, "billing_address")

    def kept(address: Address | None) -> UUID | None:
        return addresses.keep_for_order(user_id, address) if keep and address else None

    return CheckoutTerms(
        shipping_country=shipping.country if shipping else None,
        shipping_address_id=kept(shipping),
        billing_address_id=kept(billing),
        shipping_method_id=choice.shipping_method_id,
        discount_code=choice.discount_code,
        prices_include_tax=rules.prices_include_tax,
        tax_country=rules.country,
    )


def _address(
    addresses: AddressPort,
    user_id: UUID,
    raw: dict[str, Any] | None,
    address_id: UUID | None,
    field: str = "shipping_address",
) -> Address | None:
    if raw is not None and address_id is not None:
        raise InvalidFields([("address_id", f"give {field} or address_id, not both")])
    if address_id is not None:
        try:
            return addresses.entry(user_id, address_id).address
        except NotFound:
            raise InvalidFields([("address_id", "is not an address in your book")]) from None
    if raw is None:
        return None
    try:
        return parse_address(raw)
    except InvalidFields as error:
        raise error.under(field) from None


_IDEMPOTENCY = uuid5(NAMESPACE_URL, "https://order-platform/checkout")


def order_id_for(user_id: UUID, idempotency_key: str | None) -> UUID | None:
    """The same user and key always name the same order, so a retried checkout finds it.
    Without a key, None: the cart names the order (domain/ordering.py, order_id_for_cart)."""
    if idempotency_key is None:
        return None
    return uuid5(_IDEMPOTENCY, f"{user_id}:{idempotency_key}")


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    position: int
    placed: bool  # False: a repeated Idempotency-Key found the earlier order
    intent: PaymentIntentRef | None


def check_out(
    shop: Shop,
    payments: PaymentPort,
    user_id: UUID,
    idempotency_key: str | None,
    terms: CheckoutTerms | None = None,
) -> CheckoutResult:
    """Place the user's cart as an order and make sure it has a PaymentIntent.

    A provider failure propagates (PaymentError) and leaves the order placed and holding its
    stock: a retry (with the same key, or without one: the cart names the order) resumes it,
    and expiry cancels it if nobody does.
    """
    order_id = order_id_for(user_id, idempotency_key)
    order, position, placed = shop.place_order(user_id, order_id, terms)
    if order.status not in PAYABLE:
        return CheckoutResult(order, position, placed, None)
    intent = _payment_intent(payments, order, str(user_id))
    if order.payment_intent_id is None:
        position = shop.attach_payment_intent(order.id, intent.id, str(user_id))
        attached = shop.order_for(order.id).payment_intent_id
        if attached is not None and attached != intent.id:
            # A concurrent retry (same key) attached its intent first; Stripe's own key
            # would have returned that one, but our dedupe must not rely on Stripe's.
            intent = payments.retrieve_payment_intent(attached)
    return CheckoutResult(order, position, placed, intent)


def _payment_intent(payments: PaymentPort, order: Order, customer_ref: str) -> PaymentIntentRef:
    if order.payment_intent_id is not None:
        return payments.retrieve_payment_intent(order.payment_intent_id)
    return payments.create_payment_intent(str(order.id), order.total, order.currency, customer_ref)
