"""Discount codes: one aggregate per code, so its uses are counted under the store's own
version check. A checkout redeems the code in the same transaction as the order: fifty
shoppers racing for the last use of a code save one order with it, and the others, retried
against the newer version, are told it is used up. An unpaid order that is cancelled (by
the shopper, an admin, expiry or Stripe) gives its use back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidFields, NotFound
from domain.money import check_currency, format_money
from domain.pricing import Discount

_NAMESPACE = uuid5(NAMESPACE_URL, "https://order-platform/discount-codes")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")
FIELD = "discount_code"


def normalise_code(code: str) -> str:
    return code.strip().upper()


def code_id_for(code: str) -> UUID:
    return uuid5(_NAMESPACE, normalise_code(code))


@dataclass(frozen=True)
class Terms:
    """What a code gives and when: checked on creation and on every change."""

    percent_off: int | None
    amount_off: int | None
    currency: str | None
    min_subtotal: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    max_uses: int | None
    max_uses_per_customer: int | None
    product_ids: list[str]

    @classmethod
    def check(cls, **fields: Any) -> Terms:
        errors: list[tuple[str, str]] = []
        percent, amount = fields.get("percent_off"), fields.get("amount_off")
        if (percent is None) == (amount is None):
            errors.append(("percent_off", "give either percent_off or amount_off"))
        if percent is not None and not (isinstance(percent, int) and 1 <= percent <= 100):
            errors.append(("percent_off", "must be a whole percentage from 1 to 100"))
        if amount is not None and not (isinstance(amount, int) and amount >= 1):
            errors.append(("amount_off", "must be at least 1 minor unit"))
        currency = fields.get("currency")
        if currency is not None:
            try:
                currency = check_currency(currency)
            except Exception:
                errors.append(("currency", "must be an ISO 4217 code, such as EUR"))
        minimum = fields.get("min_subtotal")
        if (amount is not None or minimum is not None) and currency is None:
            errors.append(("currency", "is required with amount_off or min_subtotal"))
        if minimum is not None and not (isinstance(minimum, int) and minimum >= 0):
            errors.append(("min_subtotal", "must be a non-negative number of minor units"))
        starts, ends = fields.get("starts_at"), fields.get("ends_at")
        for name, moment in (("starts_at", starts), ("ends_at", ends)):
            if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
                errors.append((name, "must be a time with its offset (ISO 8601)"))
        if (
            isinstance(starts, datetime)
            and isinstance(ends, datetime)
            and starts.tzinfo
            and ends.tzinfo
            and ends <= starts
        ):
            errors.append(("ends_at", "must be after starts_at"))
        for name in ("max_uses", "max_uses_per_customer"):
            value = fields.get(name)
            if value is not None and not (isinstance(value, int) and value >= 1):
                errors.append((name, "must be at least 1, or null for no limit"))
        products = [str(p) for p in fields.get("product_ids") or []]
        if errors:
            raise InvalidFields(errors)
        return cls(
            percent_off=percent,
            amount_off=amount,
            currency=currency,
            min_subtotal=minimum,
            starts_at=starts,
            ends_at=ends,
            max_uses=fields.get("max_uses"),
            max_uses_per_customer=fields.get("max_uses_per_customer"),
            product_ids=sorted(set(products)),
        )

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class DiscountCode(Aggregate):
    class DiscountCodeCreated(Aggregate.Created):
        code: str
        terms: dict[str, Any]

    class DiscountCodeRevised(Aggregate.Event):
        terms: dict[str, Any]

    class DiscountCodeRetired(Aggregate.Event):
        pass

    class DiscountCodeRedeemed(Aggregate.Event):
        """An order placed with the code (a use, until the order is cancelled unpaid)."""

        order_id: UUID
        user_id: UUID

    class DiscountCodeReleased(Aggregate.Event):
        """The order was cancelled before it was paid: its use is given back."""

        order_id: UUID

    @staticmethod
    def create_id(code: str, **_: Any) -> UUID:
        return code_id_for(code)

    @classmethod
    def create(cls, code: str, terms: Terms) -> DiscountCode:
        code = normalise_code(code)
        if not _CODE.match(code):
            raise InvalidFields(
                [("code", "2 to 40 letters, digits, - or _ (any case; kept upper case)")]
            )
        return cls(code=code, terms=terms.as_dict())

    @event(DiscountCodeCreated)
    def __init__(self, code: str, terms: dict[str, Any]) -> None:
        self.code = code
        self.terms_data = dict(terms)  # plain data: snapshots are JSON
        self.retired = False
        # order id -> user id of the uses held (strings: snapshots are JSON)
        self.redemptions: dict[str, str] = {}

    @property
    def terms(self) -> Terms:
        return Terms(**self.terms_data)

    def revise(self, terms: Terms) -> None:
        self._check_live()
        if terms != self.terms:
            self._revise(terms=terms.as_dict())

    def retire(self) -> None:
        self._check_live()
        self._retire()

    @property
    def uses(self) -> int:
        return len(self.redemptions)

    def discount_for(
        self,
        user_id: UUID,
        currency: str,
        subtotal: int,
        eligible: int,
        now: datetime | None = None,
    ) -> Discount:
        """The discount this order gets, or InvalidFields (discount_code) saying why not."""
        terms = self.terms
        now = now or datetime.now(UTC)
        why: str | None = None
        if self.retired:
            why = "is no longer valid"
        elif terms.starts_at is not None and now < terms.starts_at:
            why = "is not valid yet"
        elif terms.ends_at is not None and now >= terms.ends_at:
            why = "has expired"
        elif terms.currency is not None and terms.currency != currency:
            why = f"is for orders in {terms.currency}"
        elif terms.min_subtotal is not None and subtotal < terms.min_subtotal:
            minimum = format_money(terms.min_subtotal, currency)
            why = f"needs a subtotal of at least {minimum}"
        elif eligible <= 0:
            why = "does not apply to anything in your cart"
        elif terms.max_uses is not None and self.uses >= terms.max_uses:
            why = "has been used up"
        elif terms.max_uses_per_customer is not None and (
            sum(1 for user in self.redemptions.values() if user == str(user_id))
            >= terms.max_uses_per_customer
        ):
            why = "has already been used as often as it may be by you"
        if why is not None:
            raise InvalidFields([(FIELD, f"{self.code} {why}")])
        return Discount(percent_off=terms.percent_off, amount_off=terms.amount_off)

    def applies_to(self, product_id: str) -> bool:
        return not self.terms.product_ids or product_id in self.terms.product_ids

    def redeem(self, order_id: UUID, user_id: UUID) -> None:
        if str(order_id) not in self.redemptions:
            self._redeem(order_id=order_id, user_id=user_id)

    def release(self, order_id: UUID) -> None:
        if str(order_id) in self.redemptions:
            self._release(order_id=order_id)

    def _check_live(self) -> None:
        if self.retired:
            raise NotFound("discount code not found (it has been deleted)")

    @event(DiscountCodeRevised)
    def _revise(self, terms: dict[str, Any]) -> None:
        self.terms_data = dict(terms)

    @event(DiscountCodeRetired)
    def _retire(self) -> None:
        self.retired = True

    @event(DiscountCodeRedeemed)
    def _redeem(self, order_id: UUID, user_id: UUID) -> None:
        self.redemptions = {**self.redemptions, str(order_id): str(user_id)}

    @event(DiscountCodeReleased)
    def _release(self, order_id: UUID) -> None:
        self.redemptions = {k: v for k, v in self.redemptions.items() if k != str(order_id)}
