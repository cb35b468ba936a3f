"""Postal addresses: checked against ISO 3166 (pycountry's maintained lists of countries and
their regions), with the fields each country requires. An address is personal data: it
never goes into an event (events refer to it by id; infra/address_store.py keeps it).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

import pycountry

from domain.errors import InvalidFields

# Countries whose addresses carry no postal code (the Universal Postal Union's list, and
# what Shopify and Saleor accept without one).
NO_POSTAL_CODE = frozenset(
    """AE AG AN AO AW BF BI BJ BO BS BW BZ CD CF CG CI CK CM DJ DM ER FJ GA GD GH GM GN GQ
    GY HK JM KE KI KM KN KP LC ML MO MR MS MW NR NU QA RW SB SC SL SO SR SS ST SY TD TF TG
    TK TL TO TT TV UG VU YE ZW""".split()  # noqa: SIM905
)
# Countries whose addresses need a region (state, province, prefecture) to be delivered.
REGION_REQUIRED = frozenset("AR AU BR CA CN ID IN IT JP MX MY US".split())  # noqa: SIM905
# Postal code shapes of the countries most orders go to; others: 2-10 letters, digits, - or space.
POSTAL_CODE = {
    "AT": r"\d{4}",
    "AU": r"\d{4}",
    "BE": r"\d{4}",
    "CA": r"[A-Z]\d[A-Z] ?\d[A-Z]\d",
    "CH": r"\d{4}",
    "DE": r"\d{5}",
    "DK": r"\d{4}",
    "ES": r"\d{5}",
    "FI": r"\d{5}",
    "FR": r"\d{5}",
    "GB": r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}",
    "IT": r"\d{5}",
    "JP": r"\d{3}-?\d{4}",
    "NL": r"\d{4} ?[A-Z]{2}",
    "NO": r"\d{4}",
    "PL": r"\d{2}-\d{3}",
    "PT": r"\d{4}-\d{3}",
    "SE": r"\d{3} ?\d{2}",
    "US": r"\d{5}(-\d{4})?",
}
_GENERIC_POSTAL = r"[A-Z0-9][A-Z0-9 -]{0,8}[A-Z0-9]"
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,25}$")
FIELDS = ("name", "line1", "line2", "city", "postal_code", "region", "country", "phone")
MAX = {"name": 200, "line1": 200, "line2": 200, "city": 100, "postal_code": 20, "phone": 30}


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    line2: str = ""
    region: str = ""  # ISO 3166-2 code (US-CA), or "" where the country has none asked
    phone: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @property
    def lines(self) -> list[str]:
        """As printed on a label."""
        region = self.region.split("-", 1)[-1] if self.region else ""
        place = " ".join(p for p in (self.postal_code, self.city, region) if p)
        return [line for line in (self.name, self.line1, self.line2, place, self.country) if line]


@cache
def _regions(country: str) -> dict[str, str]:
    """The country's subdivisions: code (US-CA) -> name, and suffix (CA) -> code."""
    found: dict[str, str] = {}
    for sub in pycountry.subdivisions.get(country_code=country) or []:
        found[sub.code.upper()] = sub.code.upper()
        found[sub.code.split("-", 1)[1].upper()] = sub.code.upper()
        found[sub.name.upper()] = sub.code.upper()
    return found


def regions_of(country: str) -> list[dict[str, str]]:
    """The country's top-level regions (code, name) for a form's list, where it asks one."""
    if country not in REGION_REQUIRED:
        return []
    subdivisions = pycountry.subdivisions.get(country_code=country) or []
    top = [s for s in subdivisions if getattr(s, "parent_code", None) is None]
    return [{"code": s.code, "name": s.name} for s in sorted(top, key=lambda s: s.name)]


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code.upper())
    return str(country.name) if country is not None else code


def check_country(value: Any, field: str = "country") -> str:
    code = str(value or "").strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise InvalidFields([(field, "must be an ISO 3166-1 alpha-2 country code, such as DE")])
    return code


def parse_address(raw: dict[str, Any]) -> Address:
    """A checked, normalised address; InvalidFields naming every field that is wrong."""
    errors: list[tuple[str, str]] = []
    text: dict[str, str] = {}
    for name in FIELDS:
        value = raw.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.append((name, "must be text"))
            value = ""
        value = " ".join(value.split())
        if name in MAX and len(value) > MAX[name]:
            errors.append((name, f"must be at most {MAX[name]} characters"))
        text[name] = value
    unknown = sorted(set(raw) - set(FIELDS) - {"default"})
    errors += [(name, "is not an address field") for name in unknown]
    for name in ("name", "line1", "city"):
        if not text[name]:
            errors.append((name, "is required"))
    try:
        country = check_country(text["country"])
    except InvalidFields as error:
        errors += error.errors
        raise InvalidFields(errors) from None
    postal = text["postal_code"].upper()
    if country in NO_POSTAL_CODE:
        pass
    elif not postal:
        errors.append(("postal_code", f"is required in {country_name(country)}"))
    elif not re.fullmatch(POSTAL_CODE.get(country, _GENERIC_POSTAL), postal):
        errors.append(("postal_code", f"is not a postal code of {country_name(country)}"))
    region = text["region"].upper()
    regions = _regions(country)
    if region:
        if region not in regions:
            errors.append(("region", f"is not a region of {country_name(country)}"))
        else:
            region = regions[region]
    elif country in REGION_REQUIRED:
        errors.append(("region", f"is required in {country_name(country)}"))
    phone = text["phone"]
    if phone and not _PHONE.match(phone):
        errors.append(("phone", "must be a phone number (digits, spaces, + - ( ) . /)"))
    if errors:
        raise InvalidFields(errors)
    return Address(
        name=text["name"],
        line1=text["line1"],
        line2=text["line2"],
        city=text["city"],
        postal_code=postal,
        region=region,
        country=country,
        phone=phone,
    )
