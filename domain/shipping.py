"""Shipping methods, kept by one ShippingBook aggregate: each method ships to a set of
countries (its zone) at a price per currency, free above a subtotal, in a range of days.

One aggregate for the whole shop: a checkout loads it once and sees every method as of one
version, and methods change rarely (snapshotted, so its loads stay short).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidFields, NotFound
from domain.money import check_currency

BOOK_ID = uuid5(NAMESPACE_URL, "https://order-platform/shipping-book")
MAX_DAYS = 365


@dataclass(frozen=True)
class Quote:
    """What a method costs an order: its price in the order's currency, 0 above free_above."""

    method_id: str
    name: str
    price: int
    free_above: int | None
    min_days: int
    max_days: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.method_id,
            "name": self.name,
            "price": self.price,
            "free_above": self.free_above,
            "min_days": self.min_days,
            "max_days": self.max_days,
        }


def check_method(
    name: str,
    countries: list[str],
    rates: dict[str, dict[str, int | None]],
    min_days: int,
    max_days: int,
) -> dict[str, Any]:
    """A method's fields, checked (InvalidFields naming each wrong one)."""
    from domain.addresses import check_country

    errors: list[tuple[str, str]] = []
    if not name.strip():
        errors.append(("name", "is required"))
    codes: list[str] = []
    for index, country in enumerate(countries):
        try:
            codes.append(check_country(country, f"countries.{index}"))
        except InvalidFields as error:
            errors += error.errors
    if not countries:
        errors.append(("countries", "name at least one country"))
    checked: dict[str, dict[str, int | None]] = {}
    for currency, rate in rates.items():
        try:
            code = check_currency(currency)
        except Exception:
            errors.append(("currency", "must be an ISO 4217 code, such as EUR"))
            continue
        price, free_above = rate.get("price"), rate.get("free_above")
        if not isinstance(price, int) or price < 0:
            errors.append(("price", "must be a non-negative number of minor units"))
        if free_above is not None and (not isinstance(free_above, int) or free_above < 0):
            errors.append(("free_above", "must be a non-negative number of minor units or null"))
        checked[code] = {"price": price, "free_above": free_above}
    if not rates:
        errors.append(("price", "is required"))
    if not 0 <= min_days <= max_days <= MAX_DAYS:
        errors.append(("max_days", f"must be at least min_days, both between 0 and {MAX_DAYS}"))
    if errors:
        raise InvalidFields(errors)
    return {
        "name": name.strip(),
        "countries": sorted(set(codes)),
        "rates": checked,
        "min_days": min_days,
        "max_days": max_days,
    }


class ShippingBook(Aggregate):
    class ShippingBookOpened(Aggregate.Created):
        pass

    class ShippingMethodSet(Aggregate.Event):
        """A method added or replaced whole: its name, countries, rates per currency
        ({"EUR": {"price": 490, "free_above": 5000}}) and delivery days."""

        method_id: str
        name: str
        countries: list[str]
        rates: dict[str, dict[str, int | None]]
        min_days: int
        max_days: int

    class ShippingMethodRemoved(Aggregate.Event):
        method_id: str

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return BOOK_ID

    @event(ShippingBookOpened)
    def __init__(self) -> None:
        self.methods: dict[str, dict[str, Any]] = {}

    def set_method(self, method_id: str | None, **fields: Any) -> str:
        """Add (no id) or replace a method; returns its id."""
        if method_id is not None and method_id not in self.methods:
            raise NotFound("shipping method not found")
        checked = check_method(**fields)
        method_id = method_id or str(uuid4())
        if self.methods.get(method_id) != checked:
            self._set(method_id=method_id, **checked)
        return method_id

    def remove_method(self, method_id: str) -> None:
        if method_id not in self.methods:
            raise NotFound("shipping method not found")
        self._remove(method_id)

    @property
    def configured(self) -> bool:
        """A shop with no methods sells without shipping (no address needed)."""
        return bool(self.methods)

    def options(self, country: str, currency: str) -> list[Quote]:
        """The methods that ship to `country` and have a price in `currency`, cheapest first."""
        found = []
        for method_id, method in self.methods.items():
            rate = method["rates"].get(currency)
            if country in method["countries"] and rate is not None:
                found.append(
                    Quote(
                        method_id,
                        method["name"],
                        int(rate["price"]),
                        rate["free_above"],
                        method["min_days"],
                        method["max_days"],
                    )
                )
        return sorted(found, key=lambda q: (q.price, q.max_days, q.name))

    def quote(self, method_id: str | None, country: str, currency: str) -> Quote:
        """The chosen method for this order, or InvalidFields saying why it cannot be."""
        options = self.options(country, currency)
        if not options:
            raise InvalidFields(
                [("shipping_address.country", f"the shop does not ship to {country}")]
            )
        if not method_id:
            raise InvalidFields([("shipping_method_id", "choose a shipping method")])
        chosen = next((q for q in options if q.method_id == method_id), None)
        if chosen is None:
            why = (
                "is not a shipping method of this shop"
                if method_id not in self.methods
                else f"does not ship to {country} in {currency}"
            )
            raise InvalidFields([("shipping_method_id", why)])
        return chosen

    @event(ShippingMethodSet)
    def _set(
        self,
        method_id: str,
        name: str,
        countries: list[str],
        rates: dict[str, dict[str, int | None]],
        min_days: int,
        max_days: int,
    ) -> None:
        self.methods = {
            **self.methods,
            method_id: {
                "name": name,
                "countries": list(countries),
                "rates": dict(rates),
                "min_days": min_days,
                "max_days": max_days,
            },
        }

    @event(ShippingMethodRemoved)
    def _remove(self, method_id: str) -> None:
        self.methods = {k: v for k, v in self.methods.items() if k != method_id}
