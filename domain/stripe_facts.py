"""What a Stripe event says, read defensively from its JSON shape (no SDK objects here).

Stripe delivers at least once and in any order; this module only extracts the facts. The
Order aggregate decides what they mean for the order, by rank, so that an older status
never overwrites a newer one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.errors import InvalidCommand


@dataclass(frozen=True)
class StripeFact:
    event_id: str
    type: str
    created: int
    object_type: str
    object_id: str
    payment_intent_id: str | None
    order_id: str | None
    amount: int | None
    amount_refunded: int | None
    currency: str | None
    status: str | None
    reason: str | None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_stripe_event(payload: dict[str, Any]) -> StripeFact:
    """Extract the facts we use; reject what is not shaped like a Stripe event at all."""
    event_id, event_type = _str(payload.get("id")), _str(payload.get("type"))
    data = payload.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if event_id is None or event_type is None or not isinstance(obj, dict):
        raise InvalidCommand("not a Stripe event: id, type and data.object are required")
    if len(event_id) > 255 or len(event_type) > 100:
        raise InvalidCommand("Stripe event id or type is too long")
    object_type = _str(obj.get("object")) or ""
    raw_metadata = obj.get("metadata")
    metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
    payment_intent = _str(obj.get("id")) if object_type == "payment_intent" else None
    if payment_intent is None:
        pi = obj.get("payment_intent")
        payment_intent = _str(pi.get("id")) if isinstance(pi, dict) else _str(pi)
    error = obj.get("last_payment_error")
    reason = _str(obj.get("reason")) or (
        _str(error.get("message")) if isinstance(error, dict) else None
    )
    currency = _str(obj.get("currency"))
    return StripeFact(
        event_id=event_id,
        type=event_type,
        created=_int(payload.get("created")) or 0,
        object_type=object_type,
        object_id=_str(obj.get("id")) or "",
        payment_intent_id=payment_intent,
        order_id=_str(metadata.get("order_id")),
        amount=_int(obj.get("amount")),
        amount_refunded=_int(obj.get("amount_refunded")),
        currency=currency.upper() if currency else None,
        status=_str(obj.get("status")),
        reason=reason,
    )
