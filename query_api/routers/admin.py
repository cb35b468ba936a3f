"""The admin home: today's and the last 30 days' orders and revenue by status (from the
daily-sales view), orders needing attention, projection health and recent orders.

Days are UTC days. Admins and support see it; support only reads.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import func, or_, select

from infra.read_store import View, projection_status
from projections.daily_sales import REVENUE_STATUSES, sales_orders
from projections.orders import orders
from projections.registry import projections_for
from query_api.order_views import STAFF, customers_for, row_view
from query_api.reads import DAILY_SALES, ORDERS, ReadsDep
from query_api.schemas import (
    AdminSummary,
    DayStats,
    Money,
    ProjectionHealth,
    SalesSplit,
    Stats,
)
from query_api.waiting import Position
from web.app import ServicesDep
from web.auth import Principal, require_role

router = APIRouter(tags=["admin"])

DAYS = 30
ATTENTION = 10
RECENT = 8
# A worker reports its projections every few seconds; older than this, nobody runs them.
STATUS_STALE_SECONDS = 35.0
# Paid and waiting to ship, paid but parked for stock, failed payments, open disputes.
ATTENTION_STATUSES = ("paid", "partially_refunded", "needs_stock", "payment_failed")


@router.get("/admin/summary", response_model=AdminSummary)
async def admin_summary(
    user: Annotated[Principal, Depends(require_role(*STAFF))],
    reads: ReadsDep,
    services: ServicesDep,
    position: Position,
) -> AdminSummary:
    await reads.caught_up(position, ORDERS, DAILY_SALES)
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=back) for back in range(DAYS - 1, -1, -1)]
    async with reads.views.connect() as conn:
        sales = (
            await conn.execute(
                select(
                    sales_orders.c.day,
                    sales_orders.c.status,
                    sales_orders.c.currency,
                    func.count().label("orders"),
                    func.sum(
                        sales_orders.c.total
                        - sales_orders.c.amount_refunded
                        - sales_orders.c.amount_lost
                    ).label("net"),
                    func.sum(sales_orders.c.net_sales).label("net_sales"),
                    func.sum(sales_orders.c.shipping).label("shipping"),
                    func.sum(sales_orders.c.tax).label("tax"),
                    func.sum(sales_orders.c.discount).label("discount"),
                )
                .where(sales_orders.c.day >= days[0].isoformat())
                .group_by(sales_orders.c.day, sales_orders.c.status, sales_orders.c.currency)
            )
        ).all()
        attention = (
            await conn.execute(
                select(orders)
                .where(or_(orders.c.status.in_(ATTENTION_STATUSES), orders.c.dispute == "open"))
                .order_by(orders.c.placed_position.asc())
                .limit(ATTENTION)
            )
        ).all()
        recent = (
            await conn.execute(
                select(orders).order_by(orders.c.placed_position.desc()).limit(RECENT)
            )
        ).all()
        status_rows = {row.name: row for row in await conn.execute(select(projection_status))}
    customers = await customers_for(services, user, {row.user_id for row in (*attention, *recent)})
    return AdminSummary(
        today=_stats(row for row in sales if row.day == today.isoformat()),
        last_30_days=_stats(sales),
        daily=[_day(day, [row for row in sales if row.day == day.isoformat()]) for day in days],
        attention=[row_view(row, customers) for row in attention],
        projections=await _health(reads, services, status_rows),
        recent=[row_view(row, customers) for row in recent],
    )


def _revenue(rows: list[Any]) -> list[Money]:
    amounts: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.status in REVENUE_STATUSES:
            amounts[row.currency] += int(row.net or 0)
    return [Money(currency=c, amount=amounts[c]) for c in sorted(amounts)]


def _sales(rows: list[Any]) -> list[SalesSplit]:
    parts = ("net_sales", "shipping", "tax", "discount")
    sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(parts, 0))
    for row in rows:
        if row.status in REVENUE_STATUSES:
            for part in parts:
                sums[row.currency][part] += int(getattr(row, part) or 0)
    return [SalesSplit(currency=c, **sums[c]) for c in sorted(sums)]


def _stats(rows: Any) -> Stats:
    rows = list(rows)
    by_status: dict[str, int] = defaultdict(int)
    for row in rows:
        by_status[row.status] += int(row.orders)
    return Stats(
        orders=sum(by_status.values()),
        revenue=_revenue(rows),
        by_status=dict(by_status),
        sales=_sales(rows),
    )


def _day(day: date, rows: list[Any]) -> DayStats:
    return DayStats(
        day=day,
        orders=sum(int(row.orders) for row in rows),
        revenue=_revenue(rows),
        sales=_sales(rows),
    )


async def _health(reads: Any, services: Any, status_rows: dict[str, Any]) -> list[ProjectionHealth]:
    """Each projection's position against the newest event, and its worker's last word."""
    head = await reads.head.newest()
    now = time.time()
    health = []
    for projection in projections_for(services.settings):
        view = View(projection.name, in_redis=projection.kind == "redis")
        position = await reads.views.position(view)
        row = status_rows.get(projection.name)
        fresh = row is not None and now - row.updated_at < STATUS_STALE_SECONDS
        health.append(
            ProjectionHealth(
                name=projection.name,
                position=position,
                head=head,
                lag=max(0, head - position),
                state=row.state if fresh and row is not None else "not running",
            )
        )
    return health
