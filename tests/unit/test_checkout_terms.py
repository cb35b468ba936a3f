"""Checkout with shipping, tax and discount codes, on the in-memory store: what an order is
placed at, and what each rule refuses (a 422 naming its field)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.discounts import DiscountCode, Terms, code_id_for
from domain.errors import InvalidFields, StateConflict
from domain.ordering import CheckoutTerms
from domain.orders import Order
from domain.shop import Shop

STANDARD = {
    "name": "Standard",
    "countries": ["DE", "AT"],
    "rates": {"EUR": {"price": 490, "free_above": 10000}},
    "min_days": 2,
    "max_days": 4,
}


@pytest.fixture
def shop() -> Iterator[Shop]:
    app = Shop(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def terms(**chosen: object) -> Terms:
    fields: dict[str, object] = dict.fromkeys(
        (
            "percent_off",
            "amount_off",
            "currency",
            "min_subtotal",
            "starts_at",
            "ends_at",
            "max_uses",
            "max_uses_per_customer",
        )
    )
    fields["product_ids"] = []
    fields.update(chosen)
    return Terms.check(**fields)


def shopper(shop: Shop, *items: tuple[UUID, int]) -> UUID:
    user = uuid.uuid4()
    shop.open_account(user, "shopper")
    for product_id, quantity in items:
        shop.add_to_cart(user, product_id, quantity)
    return user


def product(shop: Shop, price: int, tax_class: str = "standard", stock: int = 10) -> UUID:
    listed, _ = shop.list_product(
        name="P", description="", price=price, currency="EUR", stock=stock, tax_class=tax_class
    )
    return listed.id


def german(**more: object) -> CheckoutTerms:
    chosen: dict[str, object] = {"shipping_country": "DE", **more}
    return CheckoutTerms(**chosen)  # type: ignore[arg-type]


def test_a_german_order_with_a_code_shipping_and_two_rates(shop: Shop) -> None:
    method_id, _ = shop.set_shipping_method(None, **STANDARD)
    shop.set_tax_rate("DE", 1900, 700, new=True)
    shop.create_discount_code("save10", terms(percent_off=10))
    shirt, book = product(shop, 1999), product(shop, 999, "reduced")
    user = shopper(shop, (shirt, 1), (book, 1))
    chosen = german(shipping_method_id=method_id, discount_code="SAVE10")

    quote = shop.quote_order(user, chosen).figures
    order, _, placed = shop.place_order(user, uuid.uuid4(), chosen)

    assert placed and quote.total == order.total
    assert (order.subtotal, order.discount, order.shipping) == (2998, 300, 490)
    assert order.tax_by_rate == {"1900": 287 + 78, "700": 59}
    assert (order.tax, order.total) == (424, 2998 - 300 + 490)
    assert order.shipping_method is not None and order.shipping_method["name"] == "Standard"
    assert order.discount_code == "SAVE10"
    assert [line["rate_bp"] for line in order.lines] == [1900, 700]
    code = shop.load(DiscountCode, code_id_for("save10"))
    assert code.uses == 1


def test_prices_excluding_tax_add_it_on_top(shop: Shop) -> None:
    shop.set_tax_rate("US", 800, None, new=True)
    user = shopper(shop, (product(shop, 1000), 2))
    order, _, _ = shop.place_order(
        user, uuid.uuid4(), CheckoutTerms(tax_country="US", prices_include_tax=False)
    )
    assert (order.subtotal, order.tax, order.total, order.shipping) == (2000, 160, 2160, 0)


def test_shipping_is_required_once_the_shop_has_methods_and_must_reach_the_country(
    shop: Shop,
) -> None:
    user = shopper(shop, (product(shop, 1000), 1))
    quote = shop.quote_order(user, CheckoutTerms())  # no methods: sells without shipping
    assert (quote.figures.shipping, quote.shipping) == (0, None)
    method_id, _ = shop.set_shipping_method(None, **STANDARD)
    with pytest.raises(InvalidFields) as no_address:
        shop.quote_order(user, CheckoutTerms())
    assert no_address.value.errors[0][0] == "shipping_address"
    with pytest.raises(InvalidFields) as nowhere:
        shop.quote_order(user, CheckoutTerms(shipping_country="US", shipping_method_id=method_id))
    assert nowhere.value.errors == [("shipping_address.country", "the shop does not ship to US")]
    with pytest.raises(InvalidFields) as unchosen:
        shop.quote_order(user, german())
    assert unchosen.value.errors[0][0] == "shipping_method_id"
    free = shop.quote_order(user, german(shipping_method_id=method_id))
    assert free.figures.shipping == 490
    rich = shopper(shop, (product(shop, 10000), 1))
    assert shop.quote_order(rich, german(shipping_method_id=method_id)).figures.shipping == 0


def test_a_code_says_why_it_does_not_apply(shop: Shop) -> None:
    now = datetime.now(UTC)
    item = product(shop, 1000)
    other = product(shop, 500)
    user = shopper(shop, (item, 1))
    shop.create_discount_code("LATER", terms(percent_off=5, starts_at=now + timedelta(days=1)))
    shop.create_discount_code("GONE", terms(percent_off=5, ends_at=now - timedelta(days=1)))
    shop.create_discount_code("BIG", terms(percent_off=5, min_subtotal=5000, currency="EUR"))
    shop.create_discount_code("USD", terms(amount_off=100, currency="USD"))
    shop.create_discount_code("OTHER", terms(percent_off=5, product_ids=[str(other)]))
    shop.create_discount_code("ONCE", terms(amount_off=100, currency="EUR", max_uses=1))
    reasons = {
        "LATER": "is not valid yet",
        "GONE": "has expired",
        "BIG": "needs a subtotal of at least 50.00 EUR",
        "USD": "is for orders in USD",
        "OTHER": "does not apply to anything in your cart",
        "NOPE": "is not a valid code",
    }
    for code, why in reasons.items():
        with pytest.raises(InvalidFields) as refused:
            shop.quote_order(user, CheckoutTerms(discount_code=code))
        assert refused.value.errors == [("discount_code", f"{code} {why}")]
    shop.place_order(user, uuid.uuid4(), CheckoutTerms(discount_code="once"))
    second = shopper(shop, (item, 1))
    with pytest.raises(InvalidFields, match="ONCE has been used up"):
        shop.place_order(second, uuid.uuid4(), CheckoutTerms(discount_code="ONCE"))
    with pytest.raises(StateConflict, match="exists already"):
        shop.create_discount_code("once", terms(percent_off=1))


def test_a_cancelled_unpaid_order_gives_its_code_use_back(shop: Shop) -> None:
    item = product(shop, 1000)
    shop.create_discount_code("ONCE", terms(percent_off=50, max_uses=1))
    first = shopper(shop, (item, 1))
    order, _, _ = shop.place_order(first, uuid.uuid4(), CheckoutTerms(discount_code="ONCE"))
    assert order.total == 500
    shop.cancel_order(order.id, "changed my mind", str(first))
    assert shop.load(DiscountCode, code_id_for("ONCE")).uses == 0
    second = shopper(shop, (item, 1))
    again, _, _ = shop.place_order(second, uuid.uuid4(), CheckoutTerms(discount_code="ONCE"))
    assert again.discount == 500


def test_per_customer_limits_and_product_lists(shop: Shop) -> None:
    shirt, mug = product(shop, 2000), product(shop, 1000)
    shop.create_discount_code(
        "SHIRTS", terms(percent_off=50, product_ids=[str(shirt)], max_uses_per_customer=1)
    )
    user = shopper(shop, (shirt, 1), (mug, 1))
    order, _, _ = shop.place_order(user, uuid.uuid4(), CheckoutTerms(discount_code="SHIRTS"))
    assert (order.discount, [line["discount"] for line in order.lines]) == (1000, [1000, 0])
    shop.add_to_cart(user, shirt, 1)
    with pytest.raises(InvalidFields, match="as often as it may be by you"):
        shop.quote_order(user, CheckoutTerms(discount_code="SHIRTS"))


def test_admin_rules_for_methods_rates_and_codes(shop: Shop) -> None:
    with pytest.raises(InvalidFields) as bad:
        shop.set_shipping_method(
            None, **{**STANDARD, "countries": ["XX"], "min_days": 5, "max_days": 2}
        )
    assert {field for field, _ in bad.value.errors} == {"countries.0", "max_days"}
    method_id, _ = shop.set_shipping_method(None, **STANDARD)
    shop.remove_shipping_method(method_id)
    with pytest.raises(InvalidFields):
        shop.set_tax_rate("DE", 19, 10001, new=True)
    rate_id, _ = shop.set_tax_rate("DE", 1900, None, new=True)
    with pytest.raises(StateConflict):
        shop.set_tax_rate("de", 1600, None, new=True)
    assert shop.tax_country(rate_id) == "DE"
    with pytest.raises(InvalidFields) as both:
        terms(percent_off=10, amount_off=100, currency="EUR")
    assert both.value.errors[0][0] == "percent_off"
    with pytest.raises(InvalidFields, match="currency"):
        terms(amount_off=100)


def test_an_order_of_version_1_reads_as_lines_only() -> None:
    state = {"total": 1000}
    Order.OrderPlaced.upcast_v1_v2(state)
    assert state["subtotal"] == 1000
    assert (state["discount"], state["shipping"], state["tax"]) == (0, 0, 0)
    assert state["shipping_address_id"] is None and state["discount_code"] is None
