"""What a Stripe event says, read defensively from its JSON shape (no SDK objects here).

Stripe delivers at least once and in any order; this module only extracts the facts. The
Order aggregate decides what they mean for the order, by rank, so that an older status
never overwrites a newer one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.errors import InvalidCommand

# Facts the shop learned by asking Stripe (reconciliation, recovery, expiry) rather than from a
# webhook carry event ids with this prefix: Stripe's own ids start with "evt_", and a webhook
# cannot forge one (it is signed by Stripe). The id says where the fact came from, so the
# stored events need no new field.
RECONCILIATION = "reconciliation"
_RECONCILED_PREFIX = f"{RECONCILIATION}:"


def reconciled_event_id(object_id: str, state: str) -> str:
    """The same Stripe object in the same state always gives the same id: asking twice
    records the fact once."""
    return f"{_RECONCILED_PREFIX}{object_id}:{state}"


def source_of(stripe_event_id: str) -> str:
    """ "reconciliation" for facts we asked Stripe for, "stripe" for webhooks."""
    return RECONCILIATION if stripe_event_id.startswith(_RECONCILED_PREFIX) else "stripe"


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
    object_created: int | None = None  # when Stripe created the object (a refund holds from then)

    @property
    def source(self) -> str:
        """Who told us: "stripe" (a webhook) or "reconciliation" (we asked Stripe)."""
        return source_of(self.event_id)


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
        object_created=_int(obj.get("created")),
    )
