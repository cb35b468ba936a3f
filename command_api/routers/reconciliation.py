"""Reconcile one order with Stripe now (admins): the same workflow the worker runs every few
minutes and `shop payments reconcile` runs for all open orders (application/reconciliation.py)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from application.payments import PaymentError
from application.reconciliation import reconcile_order
from command_api.payment_errors import provider_error
from web.app import ServicesDep
from web.auth import AdminUser
from web.headers import set_position

router = APIRouter(tags=["orders"])


class RecoveredRefundOut(BaseModel):
    refund_id: str
    outcome: str  # found, submitted, failed, or waiting (asked too recently to tell)
    stripe_refund_id: str | None


class ReconcileOut(BaseModel):
    order_id: UUID
    recorded: list[str]  # the Stripe event types appended, marked `reconciliation`
    refunds: list[RecoveredRefundOut]


@router.post("/orders/{order_id}/reconcile", response_model=ReconcileOut)
async def reconcile(
    order_id: UUID, admin: AdminUser, services: ServicesDep, response: Response
) -> ReconcileOut:
    try:
        result = await run_in_threadpool(
            reconcile_order, services.shop, services.payments, order_id
        )
    except PaymentError as error:
        raise provider_error(error) from None
    set_position(response, result.position or services.shop.position())
    return ReconcileOut(
        order_id=order_id,
        recorded=result.recorded,
        refunds=[
            RecoveredRefundOut(
                refund_id=r.refund_id, outcome=r.outcome, stripe_refund_id=r.stripe_refund_id
            )
            for r in result.refunds
        ],
    )
