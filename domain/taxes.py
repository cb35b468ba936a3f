"""Tax rates per country (VAT, GST, sales tax), kept by one TaxBook aggregate: a standard
rate and an optional reduced one, in basis points (1900 = 19 %). An order is taxed at the
rates of the country it ships to; products of the reduced tax class use the reduced rate.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidFields, NotFound, StateConflict

BOOK_ID = uuid5(NAMESPACE_URL, "https://order-platform/tax-book")
TAX_CLASSES = ("standard", "reduced")
MAX_RATE_BP = 10_000  # 100 %


def rate_id_for(country: str) -> str:
    return str(uuid5(BOOK_ID, country))


def _check_rate(value: Any, field: str, errors: list[tuple[str, str]]) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RATE_BP:
        errors.append((field, f"must be basis points between 0 and {MAX_RATE_BP} (1900 = 19 %)"))


class TaxBook(Aggregate):
    class TaxBookOpened(Aggregate.Created):
        pass

    class TaxRateSet(Aggregate.Event):
        country: str
        rate_bp: int
        reduced_rate_bp: int | None

    class TaxRateRemoved(Aggregate.Event):
        country: str

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return BOOK_ID

    @event(TaxBookOpened)
    def __init__(self) -> None:
        self.rates: dict[str, dict[str, int | None]] = {}

    def set_rate(
        self, country: str, rate_bp: int, reduced_rate_bp: int | None, *, new: bool
    ) -> str:
        """Set a country's rates (`new`: it must have none yet); returns the rate's id."""
        from domain.addresses import check_country

        errors: list[tuple[str, str]] = []
        try:
            country = check_country(country)
        except InvalidFields as error:
            errors += error.errors
        _check_rate(rate_bp, "rate_bp", errors)
        if reduced_rate_bp is not None:
            _check_rate(reduced_rate_bp, "reduced_rate_bp", errors)
        if errors:
            raise InvalidFields(errors)
        if new and country in self.rates:
            raise StateConflict(f"{country} has a tax rate already: change it with PUT")
        if self.rates.get(country) != {"rate_bp": rate_bp, "reduced_rate_bp": reduced_rate_bp}:
            self._set(country=country, rate_bp=rate_bp, reduced_rate_bp=reduced_rate_bp)
        return rate_id_for(country)

    def country_of(self, rate_id: str) -> str:
        for country in self.rates:
            if rate_id_for(country) == rate_id:
                return country
        raise NotFound("tax rate not found")

    def remove_rate(self, rate_id: str) -> None:
        self._remove(country=self.country_of(rate_id))

    def rate_for(self, country: str | None, tax_class: str) -> int:
        """The rate in basis points for a product of `tax_class` shipped to `country` (0 for a
        country without rates, or no country)."""
        rates = self.rates.get(country or "")
        if rates is None:
            return 0
        if tax_class == "reduced" and rates["reduced_rate_bp"] is not None:
            return int(rates["reduced_rate_bp"])
        return int(rates["rate_bp"] or 0)

    @event(TaxRateSet)
    def _set(self, country: str, rate_bp: int, reduced_rate_bp: int | None) -> None:
        self.rates = {
            **self.rates,
            country: {"rate_bp": rate_bp, "reduced_rate_bp": reduced_rate_bp},
        }

    @event(TaxRateRemoved)
    def _remove(self, country: str) -> None:
        self.rates = {k: v for k, v in self.rates.items() if k != country}
