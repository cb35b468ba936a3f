"""The Product aggregate's rules, and the Shop's version checks, with no I/O (in-memory store)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from domain.errors import ConcurrentUpdate, InvalidCommand, NotFound, StaleVersion, StateConflict
from domain.products import Product
from domain.shop import Shop


def teapot(**fields: object) -> Product:
    values: dict[str, object] = {
        "name": "Teapot",
        "description": "Short and stout",
        "price": 1999,
        "currency": "EUR",
        "stock": 5,
    }
    values.update(fields)
    return Product.list_new(**values)  # type: ignore[arg-type]


def revise(product: Product, **fields: object) -> None:
    values: dict[str, object] = {
        "name": product.name,
        "description": product.description,
        "price": product.price,
        "currency": product.currency,
        "stock": product.stock,
    }
    values.update(fields)
    product.revise(**values)  # type: ignore[arg-type]


def event_types(product: Product) -> list[type]:
    return [type(e) for e in product.collect_events()]


@pytest.fixture
def shop() -> Iterator[Shop]:
    app = Shop(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


# -- listing ------------------------------------------------------------------------------------


def test_listing_normalises_and_records_one_event() -> None:
    product = teapot(name="  Teapot  ", description="  stout \n", currency="usd")
    assert (product.name, product.description, product.currency) == ("Teapot", "stout", "USD")
    assert (product.price, product.stock, product.version, product.delisted) == (1999, 5, 1, False)
    events = product.collect_events()
    assert [type(e) for e in events] == [Product.ProductListed]
    assert events[0].name == "Teapot" and events[0].currency == "USD"  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_a_blank_name_is_refused(name: str) -> None:
    with pytest.raises(InvalidCommand, match="name"):
        teapot(name=name)


@pytest.mark.parametrize("price", [-1, 19.99, 20.0, "1999", True, None])
def test_a_price_must_be_whole_non_negative_minor_units(price: object) -> None:
    with pytest.raises(InvalidCommand, match="price"):
        teapot(price=price)


@pytest.mark.parametrize("stock", [-1, 1.0, "5", False, None])
def test_stock_must_be_a_non_negative_integer(stock: object) -> None:
    with pytest.raises(InvalidCommand, match="stock"):
        teapot(stock=stock)


@pytest.mark.parametrize("currency", ["EU", "EURO", "E1R", "", "€€€", "ÄÖÜ"])
def test_currency_must_be_three_letters(currency: str) -> None:
    with pytest.raises(InvalidCommand, match="currency"):
        teapot(currency=currency)


def test_zero_price_and_zero_stock_are_allowed() -> None:
    product = teapot(price=0, stock=0)
    assert (product.price, product.stock) == (0, 0)


# -- revising -----------------------------------------------------------------------------------


def test_revise_records_one_event_per_kind_of_change() -> None:
    product = teapot()
    product.collect_events()
    revise(product, name="Kettle", price=2500, stock=9)
    assert event_types(product) == [
        Product.ProductDetailsRevised,
        Product.PriceChanged,
        Product.StockAdjusted,
    ]
    assert (product.name, product.price, product.stock, product.version) == ("Kettle", 2500, 9, 4)


def test_revise_with_no_change_records_nothing() -> None:
    product = teapot()
    product.collect_events()
    revise(product, name=" Teapot ", currency="eur")
    assert event_types(product) == []
    assert product.version == 1


def test_a_currency_change_alone_is_a_price_change() -> None:
    product = teapot()
    product.collect_events()
    revise(product, currency="gbp")
    assert event_types(product) == [Product.PriceChanged]
    assert product.currency == "GBP"


def test_revise_validates_like_listing_and_leaves_the_product_unchanged() -> None:
    product = teapot()
    product.collect_events()
    for bad in ({"name": " "}, {"price": -5}, {"stock": -1}, {"currency": "EURO"}):
        with pytest.raises(InvalidCommand):
            revise(product, **bad)
    assert event_types(product) == []
    assert (product.name, product.price, product.stock, product.currency) == (
        "Teapot",
        1999,
        5,
        "EUR",
    )


def test_a_delisted_product_cannot_be_revised_or_delisted_again() -> None:
    product = teapot()
    product.delist()
    assert product.delisted
    with pytest.raises(NotFound):
        revise(product, price=1)
    with pytest.raises(NotFound):
        product.delist()
    assert event_types(product) == [Product.ProductListed, Product.ProductDelisted]


# -- stock --------------------------------------------------------------------------------------


def test_reserve_takes_stock_and_release_gives_it_back() -> None:
    product = teapot(stock=5)
    order = uuid.uuid4()
    product.reserve(order, 3)
    assert product.stock == 2
    product.release(order, 3)
    assert product.stock == 5
    events = product.collect_events()
    assert [type(e) for e in events][1:] == [Product.StockReserved, Product.StockReleased]
    assert events[1].order_id == order and events[1].quantity == 3  # type: ignore[attr-defined]


def test_reserving_more_than_the_stock_is_refused() -> None:
    product = teapot(stock=2)
    with pytest.raises(StateConflict, match="only 2"):
        product.reserve(uuid.uuid4(), 3)
    product.reserve(uuid.uuid4(), 2)
    assert product.stock == 0
    with pytest.raises(StateConflict):
        product.reserve(uuid.uuid4(), 1)


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_reservation_needs_a_positive_quantity(quantity: int) -> None:
    product = teapot(stock=5)
    with pytest.raises(InvalidCommand):
        product.reserve(uuid.uuid4(), quantity)
    assert product.stock == 5


def test_a_delisted_product_cannot_be_reserved_but_can_be_released() -> None:
    product = teapot(stock=5)
    order = uuid.uuid4()
    product.reserve(order, 2)
    product.delist()
    with pytest.raises(StateConflict):
        product.reserve(uuid.uuid4(), 1)
    product.release(order, 2)
    assert product.stock == 5


# -- the application (in-memory store) ---------------------------------------------------------


def test_the_stored_history_rebuilds_the_same_state(shop: Shop) -> None:
    product, first = shop.list_product(
        name="Teapot", description="", price=100, currency="EUR", stock=4
    )
    revised, second = shop.revise_product(
        product.id, 1, name="Kettle", description="d", price=150, currency="EUR", stock=4
    )
    assert second > first
    assert revised.version == 3
    loaded = shop.load(Product, product.id)
    assert (loaded.name, loaded.price, loaded.stock, loaded.version) == ("Kettle", 150, 4, 3)
    old = shop.load(Product, product.id, version=1)
    assert (old.name, old.price, old.version) == ("Teapot", 100, 1)


def test_a_stale_expected_version_is_refused(shop: Shop) -> None:
    product, _ = shop.list_product(name="T", description="", price=1, currency="EUR", stock=1)
    fields = {"name": "T", "description": "", "price": 2, "currency": "EUR", "stock": 1}
    shop.revise_product(product.id, 1, **fields)
    with pytest.raises(StaleVersion):
        shop.revise_product(product.id, 1, **{**fields, "price": 3})
    with pytest.raises(StaleVersion):
        shop.delist_product(product.id, 1)
    assert shop.load(Product, product.id).price == 2


def test_two_saves_from_the_same_version_conflict(shop: Shop) -> None:
    product, _ = shop.list_product(name="T", description="", price=1, currency="EUR", stock=9)
    first = shop.load(Product, product.id)
    second = shop.load(Product, product.id)
    first.reserve(uuid.uuid4(), 2)
    second.reserve(uuid.uuid4(), 3)
    shop.store(first)
    with pytest.raises(ConcurrentUpdate):
        shop.store(second)
    loaded = shop.load(Product, product.id)
    assert (loaded.stock, loaded.version) == (7, 2)


def test_load_of_an_unknown_or_other_kind_of_aggregate_is_not_found(shop: Shop) -> None:
    with pytest.raises(NotFound):
        shop.load(Product, uuid.uuid4())
    user_id = uuid.uuid4()
    shop.open_account(user_id, "shopper")
    with pytest.raises(NotFound):
        shop.load(Product, user_id)


def test_a_no_op_revision_reports_the_current_position(shop: Shop) -> None:
    product, position = shop.list_product(
        name="T", description="", price=1, currency="EUR", stock=1
    )
    _, again = shop.revise_product(
        product.id, None, name="T", description="", price=1, currency="EUR", stock=1
    )
    assert again == position


def test_only_iso_4217_codes_and_each_currency_s_own_decimals() -> None:
    from domain.money import check_currency, format_money

    assert check_currency("jpy") == "JPY"
    for bad in ("XYZ", "EURO", "E1R", ""):
        with pytest.raises(InvalidCommand, match="ISO 4217"):
            check_currency(bad)
    assert format_money(3998, "EUR") == "39.98 EUR"
    assert format_money(500, "JPY") == "500 JPY"
    assert format_money(1500, "KWD") == "1.500 KWD"
    assert format_money(-5, "kwd") == "-0.005 KWD"
