"""One human-readable line per order event, for histories and payment timelines."""

from __future__ import annotations

from typing import Any

from domain.money import format_money


def summarize(event: Any, currency: str) -> str:
    name = type(event).__name__
    money = lambda amount: format_money(amount, currency)  # noqa: E731
    match name:
        case "OrderPlaced":
            items = sum(line["quantity"] for line in event.lines)
            return f"Order placed: {items} item(s), total {money(event.total)}"
        case "PaymentIntentCreated":
            return f"Payment {event.payment_intent_id} opened at Stripe for {money(event.amount)}"
        case "StripeEventReceived":
            return f"Stripe reported {event.stripe_type} ({event.stripe_event_id})"
        case "PaymentProcessing":
            return "Payment is processing"
        case "PaymentSucceeded":
            return f"Payment of {money(event.amount)} succeeded"
        case "PaymentFailed":
            return f"Payment failed: {event.reason}"
        case "OrderCancelled":
            return f"Order cancelled: {event.reason}"
        case "ReservationReleased":
            return "Reserved stock returned to the shelf"
        case "ReservationRenewed":
            return "Stock reserved again" if event.complete else "Stock could not be reserved again"
        case "RefundRequested":
            return f"Refund of {money(event.amount)} requested"
        case "RefundSubmitted":
            return f"Refund sent to Stripe ({event.stripe_refund_id})"
        case "RefundOutcomeUnknown":
            return f"Refund outcome unknown ({event.reason}); retry to learn it"
        case "RefundFailed":
            return f"Refund failed: {event.reason}"
        case "RefundSettled":
            return f"Refunded in total: {money(event.amount_refunded)}"
        case "DisputeOpened":
            return f"Dispute opened for {money(event.amount)}: {event.reason or 'no reason given'}"
        case "DisputeClosed":
            return f"Dispute closed: {event.outcome}"
        case "OrderFulfilled":
            note = f" ({event.tracking_note})" if event.tracking_note else ""
            return f"Order fulfilled{note}"
    return name
