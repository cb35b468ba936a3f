"""Orders: search and lists, one order (now, after its Nth event, or at a time), its live
stream of changes, its full history and payment timeline.

Shoppers see their own orders only (another user's order is 404, never 403); admins and
support see every order, with the customer's username and email. Each route authenticates
(and authorises) in its dependencies and only then waits for the client's position.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_start
from typing import Annotated, Any, Literal
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import ColumnElement, Row, String, Table, cast, func, or_, select

from domain.orders import STATUSES, Order
from infra.services import Services
from projections.orders import order_history, orders, payment_timeline
from query_api.order_views import (
    STAFF,
    addresses_for,
    aggregate_view,
    customers_for,
    history_source,
    row_view,
)
from query_api.paging import Limit, Offset
from query_api.reads import ORDERS, Reads, ReadsDep
from query_api.schemas import (
    History,
    HistoryEntry,
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

# Statuses a list may filter on (needs_stock among them), and dispute filters.
LISTED_STATUSES = STATUSES
DisputeFilter = Literal["any", "open", "lost", "won", "closed"]
OrderSort = Literal["newest", "oldest", "total_desc", "total_asc"]
_SORTS = {
    "newest": (orders.c.placed_position.desc(),),
    "oldest": (orders.c.placed_position.asc(),),
    "total_desc": (orders.c.total.desc(), orders.c.placed_position.desc()),
    "total_asc": (orders.c.total.asc(), orders.c.placed_position.desc()),
}
_HEX = re.compile(r"^[0-9a-f]{1,32}$")
# A stream says something at least this often (a comment), so proxies keep it open and a
# dead client is noticed; it ends after STREAM_SECONDS and the page reconnects, which
# checks the token again.
PING_SECONDS = 15.0
STREAM_SECONDS = 600.0


async def _visible_row(reads: Reads, order_id: UUID, user: Principal) -> Any:
    async with reads.views.connect() as conn:
        row = (await conn.execute(select(orders).where(orders.c.id == order_id))).first()
    if row is None or (user.role not in STAFF and row.user_id != user.id):
        raise HTTPException(404, "order not found")
    return row


def _day_start(day: date) -> datetime:
    return datetime.combine(day, day_start.min, tzinfo=UTC)


async def _search(services: Services, user: Principal, q: str) -> Any:
    """Orders matching `q`: an order number or id prefix, a PaymentIntent id, and (staff
    only) a customer's username or email, any part of it."""
    text = q.strip().removeprefix("#").strip()
    matches: list[Any] = []
    compact = text.replace("-", "").lower()
    if len(compact) == 32 and _HEX.match(compact):
        matches.append(orders.c.id == UUID(compact))  # a whole id: the primary key
    elif _HEX.match(compact):
        # Stored as 32 hex digits (SQLite) or as a native UUID with dashes (MariaDB).
        as_text = func.replace(cast(orders.c.id, String(36)), "-", "")
        matches.append(as_text.like(compact + "%"))
    if len(text) >= 3:
        matches.append(orders.c.payment_intent_id == text)
    if user.role in STAFF:
        user_ids = await anyio.to_thread.run_sync(services.accounts.search, text)
        if user_ids:
            matches.append(orders.c.user_id.in_(user_ids))
    return or_(*matches) if matches else orders.c.id.is_(None)


@router.get("/orders", response_model=Page[OrderView])
async def list_orders(
    user: CurrentUser,
    reads: ReadsDep,
    services: ServicesDep,
    position: Position,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="order number (prefix), PaymentIntent id, or (staff) the customer's"
            " username or email",
        ),
    ] = None,
    status: Annotated[str | None, Query(description=f"one of {', '.join(LISTED_STATUSES)}")] = None,
    dispute: Annotated[
        DisputeFilter | None,
        Query(
            description="orders with a dispute (any), or whose disputes are in this state"
            " (lost: money lost)"
        ),
    ] = None,
    from_: Annotated[
        date | None, Query(alias="from", description="placed on or after this UTC day")
    ] = None,
    to: Annotated[date | None, Query(description="placed on or before this UTC day")] = None,
    sort: OrderSort = "newest",
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[OrderView]:
    if status is not None and status not in LISTED_STATUSES:
        raise InvalidInput("status", f"must be one of {', '.join(LISTED_STATUSES)}", where="query")
    if from_ is not None and to is not None and from_ > to:
        raise InvalidInput("from", "must not be after to", where="query")
    await reads.caught_up(position, ORDERS)
    conditions: list[Any] = []
    if user.role not in STAFF:
        conditions.append(orders.c.user_id == user.id)
    if status is not None:
        conditions.append(orders.c.status == status)
    if dispute == "any":
        conditions.append(orders.c.dispute.is_not(None))
    elif dispute is not None:
        conditions.append(orders.c.dispute == dispute)
    if from_ is not None:
        conditions.append(orders.c.created_at >= _day_start(from_))
    if to is not None:
        conditions.append(orders.c.created_at < _day_start(to + timedelta(days=1)))
    if q and q.strip():
        conditions.append(await _search(services, user, q))
    async with reads.views.connect() as conn:
        total = await conn.scalar(select(func.count()).select_from(orders).where(*conditions))
        rows = (
            await conn.execute(
                select(orders)
                .where(*conditions)
                .order_by(*_SORTS[sort])
                .limit(limit)
                .offset(offset)
            )
        ).all()
    customers = await customers_for(services, user, {row.user_id for row in rows})
    items = [row_view(row, customers) for row in rows]
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


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
    version: Annotated[
        int | None, Query(ge=1, le=10**9, description="the order after its Nth event")
    ] = None,
) -> OrderView:
    """The order from the orders view; with `version` or `as_of`, replayed from its events
    as it stood then. That replay uses the event store's blocking client, so it runs in a
    worker thread (a rare, per-order request)."""
    if as_of is not None and version is not None:
        raise InvalidInput(
            "version", "ask for a version or a time (as_of), not both", where="query"
        )
    await reads.caught_up(position, ORDERS)
    row = await _visible_row(reads, order_id, user)
    customers = await customers_for(services, user, [row.user_id])
    addresses = await addresses_for(services, row)  # the owner's or staff's to see
    if version is not None:
        order = await anyio.to_thread.run_sync(_order_at_version, services, order_id, version)
        return aggregate_view(order, customers, addresses)
    if as_of is None:
        return row_view(row, customers, addresses)
    moment = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
    order = await anyio.to_thread.run_sync(services.shop.order_as_of, order_id, moment)
    return aggregate_view(order, customers, addresses)


def _order_at_version(services: Services, order_id: UUID, version: int) -> Order:
    order = services.shop.load(Order, order_id, version=version)
    if order.version != version:
        raise HTTPException(404, f"the order has no version {version} (it is at {order.version})")
    return order


@router.get(
    "/orders/{order_id}/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}},
)
async def stream_order(
    order_id: UUID,
    user: CurrentUser,
    reads: ReadsDep,
    services: ServicesDep,
    position: Position,
) -> StreamingResponse:
    """Server-sent events: `event: order` with the OrderView at once and after every change;
    a `: ping` comment every 15 s. Authorised like GET /orders/{id}."""
    await reads.caught_up(position, ORDERS)
    row = await _visible_row(reads, order_id, user)
    customers = await customers_for(services, user, [row.user_id])
    addresses = await addresses_for(services, row)
    return StreamingResponse(
        _order_events(reads, order_id, customers, addresses),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _frame(view: OrderView) -> str:
    return f"event: order\ndata: {view.model_dump_json()}\n\n"


async def _order_events(
    reads: Reads, order_id: UUID, customers: Any, addresses: Any
) -> AsyncIterator[str]:
    ends = time.monotonic() + STREAM_SECONDS
    with reads.order_feed.follow(order_id) as changes:
        # Read after subscribing: a change in between comes through the queue as well.
        async with reads.views.connect() as conn:
            row = (await conn.execute(select(orders).where(orders.c.id == order_id))).first()
        if row is None:
            return
        version = row.version
        yield _frame(row_view(row, customers, addresses))
        while (left := ends - time.monotonic()) > 0:
            try:
                async with asyncio.timeout(min(PING_SECONDS, left)):
                    changed = await changes.get()
            except TimeoutError:
                yield ": ping\n\n"
                continue
            if changed.version > version:
                version = changed.version
                yield _frame(row_view(changed, customers, addresses))


async def _order_rows(
    reads: Reads, table: Table, order_id: UUID, order_by: ColumnElement[Any]
) -> Sequence[Row[Any]]:
    """One order's rows of a per-order view (history, payment timeline), in their order."""
    async with reads.views.connect() as conn:
        result = await conn.execute(
            select(table).where(table.c.order_id == order_id).order_by(order_by)
        )
        return result.all()


@router.get("/orders/{order_id}/history", response_model=History)
async def get_history(
    order_id: UUID, user: CurrentUser, reads: ReadsDep, position: Position
) -> History:
    await reads.caught_up(position, ORDERS)
    await _visible_row(reads, order_id, user)
    rows = await _order_rows(reads, order_history, order_id, order_history.c.version)
    items = [
        HistoryEntry(
            version=row.version,
            type=row.type,
            at=row.at,
            actor=row.actor,
            source=history_source(row.actor),
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
    rows = await _order_rows(reads, payment_timeline, order_id, payment_timeline.c.position)
    items = [PaymentEntry.model_validate(row, from_attributes=True) for row in rows]
    return PaymentTimeline(order_id=order_id, items=items)
