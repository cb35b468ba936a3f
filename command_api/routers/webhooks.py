"""Stripe's webhook: verify the signature on the raw body, append the event once, answer 2xx.

What the event does to the order is decided by the domain (Order.receive), in the same
transaction that records the event, so a retried or duplicated delivery changes nothing
(application/webhooks.py). The signature comes first: only deliveries that fail it count
against the per-address limit, so Stripe's own bursts (from a few addresses) are never
refused while paid orders wait.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from application.payments import WebhookSignatureError
from application.webhooks import receive_stripe_event
from command_api.schemas import WebhookOut
from domain.stripe_facts import read_stripe_event
from infra.settings import Settings
from web.app import ServicesDep
from web.headers import set_position
from web.rate_limits import limits_of

router = APIRouter(tags=["payments"])

OFFLINE_SECRET = Settings.model_fields["stripe_webhook_secret"].default


@router.post("/webhooks/stripe", response_model=WebhookOut)
async def stripe_webhook(request: Request, services: ServicesDep) -> object:
    # Bounded as it streams in (MAX_WEBHOOK_BODY_BYTES, web/body_limits.py): 413 past it.
    body = await request.body()
    settings = services.settings
    if not settings.stripe_is_emulated and settings.stripe_webhook_secret == OFFLINE_SECRET:
        # Never verify real Stripe deliveries against a secret published in this repository.
        raise HTTPException(503, "STRIPE_WEBHOOK_SECRET is not configured")
    signature = request.headers.get("Stripe-Signature")
    try:
        payload = services.payments.verify_webhook(body, signature)
    except WebhookSignatureError as error:
        limits = limits_of(request)
        await limits.hit("webhook", limits.client_of(request))  # 429 past the limit
        raise HTTPException(400, f"invalid Stripe signature: {error}") from None
    fact = read_stripe_event(payload)
    position, duplicate = await run_in_threadpool(
        receive_stripe_event, services.shop, services.deliveries, fact
    )
    response = JSONResponse(WebhookOut(duplicate=duplicate).model_dump())
    set_position(response, position)
    return response
