"""An order's figures: subtotal, discount, shipping, tax (per rate) and total, in integer
minor units of the order's currency, by one documented rule.

* Prices are as the shop lists them: including tax (EU style, PRICES_INCLUDE_TAX=true, the
  default) or excluding it (US style).
* A discount is taken from the eligible lines (the whole order, or listed products), spread
  over them in proportion to their amounts, the remainder cent by cent to the largest lines
  first (ties by line order), so every line knows its own discounted amount. It never
  exceeds the eligible amount.
* Shipping is free when the subtotal after discount reaches the method's `free_above`.
* Tax is computed **per line, rounded half up**, on the line's discounted amount, at the
  line's rate (standard, or reduced for a reduced tax class); shipping is taxed at the
  standard rate, as one more line. With prices including tax, a line's tax is the part of
  its amount the rate accounts for: amount x rate / (1 + rate); excluding tax, amount x rate,
  added on top.
* total = subtotal - discount + shipping (+ tax, when prices exclude it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BASIS_POINTS = 10_000


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (both non-negative), in integers only."""
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True)
class PricedLine:
    key: str  # what the line is (a product or variant id)
    unit_price: int
    quantity: int
    rate_bp: int  # the tax rate that applies to it, in basis points
    discountable: bool = True

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Discount:
    """Either a share of the eligible amount, or a fixed amount (already in the currency)."""

    percent_off: int | None = None  # 1..100
    amount_off: int | None = None


@dataclass(frozen=True)
class Figures:
    subtotal: int
    discount: int
    shipping: int
    tax: int
    total: int
    tax_by_rate: dict[int, int]  # rate in basis points -> tax at that rate
    line_discounts: list[int] = field(default_factory=list)
    line_taxes: list[int] = field(default_factory=list)
    shipping_tax: int = 0

    def as_dict(self) -> dict[str, Any]:
        """For events and answers: rates as strings (JSON object keys)."""
        return {
            "subtotal": self.subtotal,
            "discount": self.discount,
            "shipping": self.shipping,
            "tax": self.tax,
            "total": self.total,
            "tax_by_rate": {str(rate): amount for rate, amount in sorted(self.tax_by_rate.items())},
            "line_discounts": list(self.line_discounts),
            "line_taxes": list(self.line_taxes),
            "shipping_tax": self.shipping_tax,
        }


def spread(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainder; ties to the earlier)."""
    whole = sum(weights)
    if whole <= 0 or total <= 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    left = total - sum(shares)
    order = sorted(
        range(len(weights)), key=lambda i: (-(total * weights[i] % whole), -weights[i], i)
    )
    for i in order[:left]:
        shares[i] += 1
    return shares


def line_tax(amount: int, rate_bp: int, prices_include_tax: bool) -> int:
    if amount <= 0 or rate_bp <= 0:
        return 0
    if prices_include_tax:
        return half_up(amount * rate_bp, BASIS_POINTS + rate_bp)
    return half_up(amount * rate_bp, BASIS_POINTS)


def discount_amount(discount: Discount | None, eligible: int) -> int:
    if discount is None or eligible <= 0:
        return 0
    if discount.percent_off is not None:
        return min(eligible, half_up(eligible * discount.percent_off, 100))
    return min(eligible, discount.amount_off or 0)


def price(
    lines: list[PricedLine],
    *,
    prices_include_tax: bool,
    discount: Discount | None = None,
    shipping_price: int = 0,
    free_above: int | None = None,
    shipping_rate_bp: int = 0,
) -> Figures:
    """The figures of an order (see the module docstring for the rule)."""
    subtotal = sum(line.amount for line in lines)
    eligible = [line.amount if line.discountable else 0 for line in lines]
    taken = discount_amount(discount, sum(eligible))
    line_discounts = spread(taken, eligible)
    after_discount = subtotal - taken
    shipping = 0 if free_above is not None and after_discount >= free_above else shipping_price
    line_taxes = [
        line_tax(line.amount - off, line.rate_bp, prices_include_tax)
        for line, off in zip(lines, line_discounts, strict=True)
    ]
    shipping_tax = line_tax(shipping, shipping_rate_bp, prices_include_tax)
    by_rate: dict[int, int] = {}
    for line, tax in zip(lines, line_taxes, strict=True):
        if tax:
            by_rate[line.rate_bp] = by_rate.get(line.rate_bp, 0) + tax
    if shipping_tax:
        by_rate[shipping_rate_bp] = by_rate.get(shipping_rate_bp, 0) + shipping_tax
    tax = sum(line_taxes) + shipping_tax
    total = after_discount + shipping + (0 if prices_include_tax else tax)
    return Figures(
        subtotal=subtotal,
        discount=taken,
        shipping=shipping,
        tax=tax,
        total=total,
        tax_by_rate=by_rate,
        line_discounts=line_discounts,
        line_taxes=line_taxes,
        shipping_tax=shipping_tax,
    )
