"""Orders, their full histories and payment timelines; and an order as it stood at a time.

Shoppers see their own orders only (another user's order is 404, never 403); admins and
support see every order. Each route authenticates (and authorises) in its dependencies and
only then waits for the client's position.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import func, select

from domain.orders import STATUSES, Order
from projections.orders import order_history, orders, payment_timeline
from query_api.paging import Limit, Offset
from query_api.reads import ORDERS, Reads, ReadsDep
from query_api.schemas import (
    History,
    HistoryEntry,
    OrderLineView,
    OrderView,
    Page,
    PaymentEntry,
    PaymentTimeline,
)
from query_api.waiting import Position
from web.app import ServicesDep
from web.auth import CurrentUser, Principal, require_role
from web.errors import InvalidInput

router = APIRouter(tags=["orders"])

STAFF = ("admin", "support")


def _lines(raw: list[dict[str, Any]]) -> list[OrderLineView]:
    return [
        OrderLineView(
            product_id=UUID(str(line["product_id"])),
            name=line["name"],
            unit_price=line["unit_price"],
            quantity=line["quantity"],
            line_total=line["unit_price"] * line["quantity"],
        )
        for line in raw
    ]


def _view(row: Any) -> OrderView:
    return OrderView(
        id=row.id,
        user_id=row.user_id,
        status=row.status,
        lines=_lines(json.loads(row.lines)),
        total=row.total,
        currency=row.currency,
        amount_refunded=row.amount_refunded,
        payment_intent_id=row.payment_intent_id,
        tracking_note=row.tracking_note,
        dispute=row.dispute,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _aggregate_view(order: Order) -> OrderView:
    disputes = list(order.disputes.values())
    return OrderView(
        id=order.id,
        user_id=order.user_id,
        status=order.status,
        lines=_lines(order.lines),
        total=order.total,
        currency=order.currency,
        amount_refunded=order.amount_refunded,
        payment_intent_id=order.payment_intent_id,
        tracking_note=order.tracking_note,
        dispute=disputes[-1] if disputes else None,
        version=order.version,
        created_at=order.created_on,
        updated_at=order.modified_on,
    )


async def _visible_row(reads: Reads, order_id: UUID, user: Principal) -> Any:
    async with reads.views.connect() as conn:
        row = (await conn.execute(select(orders).where(orders.c.id == order_id))).first()
    if row is None or (user.role not in STAFF and row.user_id != user.id):
        raise HTTPException(404, "order not found")
    return row


@router.get("/orders", response_model=Page[OrderView])
async def list_orders(
    user: CurrentUser,
    reads: ReadsDep,
    position: Position,
    status: Annotated[str | None, Query(description=f"one of {', '.join(STATUSES)}")] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[OrderView]:
    if status is not None and status not in STATUSES:
        raise InvalidInput("status", f"must be one of {', '.join(STATUSES)}", where="query")
    await reads.caught_up(position, ORDERS)
    conditions = []
    if user.role not in STAFF:
        conditions.append(orders.c.user_id == user.id)
    if status is not None:
        conditions.append(orders.c.status == status)
    async with reads.views.connect() as conn:
        total = await conn.scalar(select(func.count()).select_from(orders).where(*conditions))
        rows = (
            await conn.execute(
                select(orders)
                .where(*conditions)
                .order_by(orders.c.placed_position.desc())
                .limit(limit)
                .offset(offset)
            )
        ).all()
    return Page(items=[_view(row) for row in rows], total=total or 0, limit=limit, offset=offset)


@router.get("/orders/{order_id}", response_model=OrderView)
async def get_order(
    order_id: UUID,
    user: CurrentUser,
    reads: ReadsDep,
    services: ServicesDep,
    position: Position,
    as_of: Annotated[
        datetime | None, Query(description="ISO time: the order as it stood then")
    ] = None,
) -> OrderView:
    """The order from the orders view; with `as_of`, replayed from its events as it stood
    then. That replay uses the event store's blocking client, so it runs in a worker thread
    (a rare, per-order request)."""
    await reads.caught_up(position, ORDERS)
    row = await _visible_row(reads, order_id, user)
    if as_of is None:
        return _view(row)
    moment = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
    order = await anyio.to_thread.run_sync(services.shop.order_as_of, order_id, moment)
    return _aggregate_view(order)


@router.get("/orders/{order_id}/history", response_model=History)
async def get_history(
    order_id: UUID, user: CurrentUser, reads: ReadsDep, position: Position
) -> History:
    await reads.caught_up(position, ORDERS)
    await _visible_row(reads, order_id, user)
    async with reads.views.connect() as conn:
        rows = (
            await conn.execute(
                select(order_history)
                .where(order_history.c.order_id == order_id)
                .order_by(order_history.c.version)
            )
        ).all()
    items = [
        HistoryEntry(
            version=row.version,
            type=row.type,
            at=row.at,
            actor=row.actor,
            summary=row.summary,
            data=json.loads(row.data),
        )
        for row in rows
    ]
    return History(order_id=order_id, items=items)


@router.get("/orders/{order_id}/payments", response_model=PaymentTimeline)
async def get_payments(
    order_id: UUID,
    user: Annotated[Principal, Depends(require_role(*STAFF))],
    reads: ReadsDep,
    position: Position,
) -> PaymentTimeline:
    await reads.caught_up(position, ORDERS)
    await _visible_row(reads, order_id, user)
    async with reads.views.connect() as conn:
        rows = (
            await conn.execute(
                select(payment_timeline)
                .where(payment_timeline.c.order_id == order_id)
                .order_by(payment_timeline.c.position)
            )
        ).all()
    items = [PaymentEntry.model_validate(row, from_attributes=True) for row in rows]
    return PaymentTimeline(order_id=order_id, items=items)
