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
            amount = getattr(event, "amount", None)
            status = getattr(event, "status", None)
            detail = "".join(
                (
                    f", {status}" if status else "",
                    f", {money(amount)}" if isinstance(amount, int) else "",
                )
            )
            return f"Stripe reported {event.stripe_type} ({event.stripe_event_id}{detail})"
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
            if event.complete:
                return "Stock reserved again: the order holds its units"
            return (
                "Needs stock: its units were sold while it was unpaid;"
                " restock the product (the order then takes them) or refund it"
            )
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
            amount = getattr(event, "amount", None)
            if event.outcome == "lost":
                lost = f": {money(amount)} lost" if amount is not None else ": money lost"
                return f"Dispute {event.dispute_id} lost{lost}"
            return f"Dispute {event.dispute_id} closed: {event.outcome}"
        case "OrderFulfilled":
            note = f" ({event.tracking_note})" if event.tracking_note else ""
            return f"Order fulfilled{note}"
    return name
