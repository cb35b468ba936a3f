"""An order as the query side shows it (OrderView), from the orders view's row or from the
aggregate replayed to a version or a time; customers named from the accounts table."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from uuid import UUID

import anyio.to_thread

from domain.addresses import Address
from domain.orders import Order
from infra.services import Services
from query_api.schemas import (
    Customer,
    DisputeView,
    OrderAddress,
    OrderLineView,
    OrderView,
    ShippingMethodView,
    TaxView,
)
from web.auth import Principal

STAFF = ("admin", "support")


def order_number(order_id: UUID) -> str:
    return order_id.hex[:8].upper()


def history_source(actor: str) -> str:
    """Where a history entry's fact came from: Stripe, reconciliation, or the shop."""
    return actor if actor in ("stripe", "reconciliation") else "shop"


def _lines(raw: list[dict[str, Any]]) -> list[OrderLineView]:
    return [
        OrderLineView(
            product_id=UUID(str(line["product_id"])),
            name=line["name"],
            unit_price=line["unit_price"],
            quantity=line["quantity"],
            line_total=line["unit_price"] * line["quantity"],
            discount=line.get("discount", 0),
            tax=line.get("tax", 0),
            rate_bp=line.get("rate_bp", 0),
        )
        for line in raw
    ]


Addresses = dict[UUID, Address]


def _figures(
    source: Any,
    tax_by_rate: dict[str, int],
    shipping_method: dict[str, Any] | None,
    addresses: Addresses | None,
) -> dict[str, Any]:
    """The figures, choices and (when `addresses` were read) addresses, of a row or an
    aggregate alike."""
    return {
        "subtotal": source.subtotal,
        "discount": source.discount,
        "shipping": source.shipping,
        "tax": source.tax,
        "tax_by_rate": [
            TaxView(rate_bp=int(rate), amount=amount)
            for rate, amount in sorted(tax_by_rate.items(), key=lambda item: int(item[0]))
        ],
        "prices_include_tax": source.prices_include_tax,
        "shipping_method": ShippingMethodView(**shipping_method) if shipping_method else None,
        "discount_code": source.discount_code,
        "shipping_address": _address(source.shipping_address_id, addresses),
        "billing_address": _address(source.billing_address_id, addresses),
    }


def _address(address_id: UUID | None, addresses: Addresses | None) -> OrderAddress | None:
    if address_id is None or addresses is None:
        return None
    found = addresses.get(address_id)
    return (
        OrderAddress(erased=True) if found is None else OrderAddress.model_validate(found.as_dict())
    )


async def addresses_for(services: Services, *sources: Any) -> Addresses:
    """The addresses these orders (rows or aggregates) name, from where personal data is
    kept: a blocking client, one query in a worker thread."""
    wanted = {
        address_id
        for source in sources
        for address_id in (source.shipping_address_id, source.billing_address_id)
        if address_id is not None
    }
    if not wanted:
        return {}
    return await anyio.to_thread.run_sync(services.addresses.many, wanted)


def row_view(
    row: Any, customers: dict[UUID, Customer] | None = None, addresses: Addresses | None = None
) -> OrderView:
    method = json.loads(row.shipping_method) if row.shipping_method else None
    return OrderView(
        id=row.id,
        number=order_number(row.id),
        user_id=row.user_id,
        customer=(customers or {}).get(row.user_id),
        status=row.status,
        lines=_lines(json.loads(row.lines)),
        **_figures(row, json.loads(row.tax_by_rate or "{}"), method, addresses),
        total=row.total,
        currency=row.currency,
        amount_refunded=row.amount_refunded,
        payment_intent_id=row.payment_intent_id,
        tracking_note=row.tracking_note,
        dispute=row.dispute,
        disputes=[
            DisputeView(id=dispute_id, state=d["state"], amount=d["amount"])
            for dispute_id, d in json.loads(row.disputes or "{}").items()
        ],
        amount_lost=row.amount_lost,
        holds_stock=row.holds_stock,
        needs_stock=row.status == "needs_stock",
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def aggregate_view(
    order: Order,
    customers: dict[UUID, Customer] | None = None,
    addresses: Addresses | None = None,
) -> OrderView:
    return OrderView(
        id=order.id,
        number=order_number(order.id),
        user_id=order.user_id,
        customer=(customers or {}).get(order.user_id),
        status=order.status,
        lines=_lines(order.lines),
        **_figures(order, order.tax_by_rate, order.shipping_method, addresses),
        total=order.total,
        currency=order.currency,
        amount_refunded=order.amount_refunded,
        payment_intent_id=order.payment_intent_id,
        tracking_note=order.tracking_note,
        dispute=order.dispute,
        disputes=[
            DisputeView(id=dispute_id, state=state, amount=order.dispute_amounts.get(dispute_id, 0))
            for dispute_id, state in order.disputes.items()
        ],
        amount_lost=order.amount_lost,
        holds_stock=order.reserved,
        needs_stock=order.needs_stock,
        version=order.version,
        created_at=order.created_on,
        updated_at=order.modified_on,
    )


async def customers_for(
    services: Services, user: Principal, user_ids: Iterable[UUID]
) -> dict[UUID, Customer]:
    """Username and email of the orders' customers, for staff only (shoppers get none).
    The accounts table is a blocking client: one query, in a worker thread."""
    wanted = list(user_ids)
    if user.role not in STAFF or not wanted:
        return {}
    accounts = await anyio.to_thread.run_sync(services.accounts.many, wanted)
    return {
        user_id: Customer(username=account.username, email=account.email)
        for user_id, account in accounts.items()
    }
