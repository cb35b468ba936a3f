"""Money rules as properties: for any lines, quantities, rates, prices-include-tax setting,
shipping and discount, the figures add up, whatever the currency's decimals."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.pricing import Discount, PricedLine, half_up, price, spread

# A currency with 0 decimals (JPY: 1 = 1 yen), 2 (EUR) or 3 (KWD): only the sizes differ.
SCALES = {"JPY": 1, "EUR": 100, "KWD": 1000}

lines_st = st.lists(
    st.builds(
        PricedLine,
        key=st.uuids().map(str),
        unit_price=st.integers(0, 500_000),
        quantity=st.integers(1, 50),
        rate_bp=st.sampled_from([0, 500, 700, 1900, 2000, 2500]),
        discountable=st.booleans(),
    ),
    min_size=1,
    max_size=8,
)
discounts_st = st.one_of(
    st.none(),
    st.builds(Discount, percent_off=st.integers(1, 100)),
    st.builds(Discount, amount_off=st.integers(1, 5_000_000)),
)


@settings(max_examples=300, deadline=None)
@given(
    lines=lines_st,
    inclusive=st.booleans(),
    discount=discounts_st,
    shipping=st.integers(0, 100_000),
    free_above=st.one_of(st.none(), st.integers(0, 2_000_000)),
    shipping_rate=st.sampled_from([0, 1900, 2000]),
    scale=st.sampled_from(sorted(SCALES.values())),
)
@example(  # 19 % VAT on 19.99 EUR, included: 3.19 of it is tax
    lines=[PricedLine("a", 1999, 1, 1900)],
    inclusive=True,
    discount=None,
    shipping=0,
    free_above=None,
    shipping_rate=0,
    scale=1,
)
def test_the_figures_always_add_up(
    lines: list[PricedLine],
    inclusive: bool,
    discount: Discount | None,
    shipping: int,
    free_above: int | None,
    shipping_rate: int,
    scale: int,
) -> None:
    lines = [
        PricedLine(
            x.key,
            x.unit_price * scale // 100 or x.unit_price,
            x.quantity,
            x.rate_bp,
            x.discountable,
        )
        for x in lines
    ]
    figures = price(
        lines,
        prices_include_tax=inclusive,
        discount=discount,
        shipping_price=shipping,
        free_above=free_above,
        shipping_rate_bp=shipping_rate,
    )
    subtotal = sum(x.unit_price * x.quantity for x in lines)
    assert figures.subtotal == subtotal
    expected_total = subtotal - figures.discount + figures.shipping
    if not inclusive:
        expected_total += figures.tax
    assert figures.total == expected_total
    eligible = sum(x.unit_price * x.quantity for x in lines if x.discountable)
    assert 0 <= figures.discount <= eligible <= subtotal
    assert sum(figures.line_discounts) == figures.discount
    for line, off, tax in zip(lines, figures.line_discounts, figures.line_taxes, strict=True):
        assert 0 <= off <= (line.amount if line.discountable else 0)
        assert tax >= 0
        if inclusive:
            assert tax <= line.amount - off
    assert 0 <= figures.tax <= max(figures.total, 0)
    assert sum(figures.tax_by_rate.values()) == figures.tax
    assert all(amount > 0 for amount in figures.tax_by_rate.values())
    if free_above is not None and subtotal - figures.discount >= free_above:
        assert figures.shipping == 0
    else:
        assert figures.shipping == shipping
    assert figures.total >= 0


def test_rounding_is_per_line_half_up() -> None:
    assert half_up(5, 10) == 1 and half_up(4, 10) == 0 and half_up(15, 10) == 2
    # Two lines of 0.05 at 10 % excluded: 0.005 each rounds up to 0.01, per line.
    figures = price(
        [PricedLine("a", 5, 1, 1000), PricedLine("b", 5, 1, 1000)], prices_include_tax=False
    )
    assert (figures.tax, figures.total) == (2, 12)


def test_a_german_order_with_a_code_and_shipping() -> None:
    """Two items of 19.99 and 9.99 EUR (19 %, prices include VAT), SAVE10, standard shipping
    4.90: the receipt's figures."""
    figures = price(
        [PricedLine("shirt", 1999, 1, 1900), PricedLine("book", 999, 1, 700)],
        prices_include_tax=True,
        discount=Discount(percent_off=10),
        shipping_price=490,
        shipping_rate_bp=1900,
    )
    assert (figures.subtotal, figures.discount, figures.shipping) == (2998, 300, 490)
    assert figures.line_discounts == [200, 100]
    # (1999 - 200) x 19/119 = 287.2 -> 287; (999 - 100) x 7/107 = 58.8 -> 59; 490 x 19/119 = 78.2
    assert figures.tax_by_rate == {1900: 287 + 78, 700: 59}
    assert (figures.tax, figures.total) == (424, 2998 - 300 + 490)


def test_spread_gives_the_remainder_to_the_largest_shares() -> None:
    assert spread(10, [1, 1, 1]) == [4, 3, 3]
    assert spread(0, [5, 5]) == [0, 0]
    assert spread(7, [0, 0]) == [0, 0]
    assert sum(spread(101, [33, 33, 34])) == 101
