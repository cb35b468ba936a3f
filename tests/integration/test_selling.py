"""Orders a shop can ship and account for, over real HTTP on both backends: addresses (an
address book, checked per country, kept out of the events), shipping methods and zones, tax
rates, discount codes (the last use raced for by fifty shoppers), the quote, the order's
figures and the PaymentIntent's amount, a second card after a decline, and daily sales."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import httpx

from domain.orders import Order
from tests.support.servers import ShopUnderTest, start_shop
from tests.support.shopping import (
    Person,
    Placed,
    add,
    all_at_once,
    checkout,
    new_product,
    pay,
    person,
    read_json,
    staff,
    store_position,
    stored_order,
)

BERLIN = {
    "name": "Anna Schmidt",
    "line1": "Unter den Linden 1",
    "city": "Berlin",
    "postal_code": "10117",
    "country": "DE",
    "phone": "+49 30 1234567",
}
STANDARD = {
    "name": "Standard",
    "countries": ["DE", "AT"],
    "price": 490,
    "currency": "EUR",
    "free_above": 10000,
    "min_days": 2,
    "max_days": 4,
}


def set_up_germany(shop: ShopUnderTest) -> dict[str, Any]:
    """19 % VAT (7 % reduced), standard shipping to DE and AT, and the code SAVE10."""
    admin = shop.admin()
    rate = shop.http.post(
        "/admin/tax-rates",
        json={"country": "DE", "rate_bp": 1900, "reduced_rate_bp": 700},
        headers=admin,
    )
    assert rate.status_code == 201, rate.text
    method = shop.http.post("/admin/shipping-methods", json=STANDARD, headers=admin)
    assert method.status_code == 201, method.text
    code = shop.http.post(
        "/admin/discount-codes", json={"code": "SAVE10", "percent_off": 10}, headers=admin
    )
    assert code.status_code == 201, code.text
    return {"method": method.json(), "rate": rate.json(), "code": code.json(), "last": code}


def body(method_id: str, **more: Any) -> dict[str, Any]:
    return {"shipping_address": BERLIN, "shipping_method_id": method_id, **more}


def test_the_german_purchase_of_the_issue(shop: ShopUnderTest) -> None:
    """Two items, SAVE10, standard shipping; the receipt's figures; the PaymentIntent asks
    the total; a declined card then a good one; the admin sees the address and ships it."""
    setup = set_up_germany(shop)
    method_id = setup["method"]["id"]
    shirt = new_product(shop, price=1999, stock=5)
    book = shop.create_product(name="Book", price=999, stock=5, tax_class="reduced").json()["id"]
    buyer = person(shop)
    assert add(shop, buyer, shirt, 1).status_code == 201
    assert add(shop, buyer, book, 1).status_code == 201

    order_body = body(method_id, discount_code="save10")
    quote = shop.http.post("/checkout/quote", json=order_body, headers=buyer.headers)
    assert quote.status_code == 200, quote.text
    figures = quote.json()
    assert (figures["subtotal"], figures["discount"], figures["shipping"]) == (2998, 300, 490)
    assert figures["tax_by_rate"] == [
        {"rate_bp": 700, "amount": 59},
        {"rate_bp": 1900, "amount": 287 + 78},
    ]
    assert (figures["tax"], figures["total"]) == (424, 3188)
    assert figures["shipping_method"]["name"] == "Standard"

    placed = checkout(shop, buyer, key="issue-15", json=order_body)
    assert placed.status_code == 201, placed.text
    answer = placed.json()
    for field in ("subtotal", "discount", "shipping", "tax", "total"):
        assert answer[field] == figures[field], field
    assert answer["amount"] == answer["total"] == 3188
    intent = shop.services.payments.retrieve_payment_intent(answer["payment_intent_id"])
    assert (intent.amount, intent.currency) == (3188, "eur")

    order_id = answer["order_id"]
    placed_order = Placed(buyer, shirt, 1, 1999, placed)
    pay(shop, placed_order, outcome="decline")
    paid_at = pay(shop, placed_order, outcome="success")
    view = read_json(shop, f"/orders/{order_id}", paid_at, buyer)
    assert (view["status"], view["total"], view["discount_code"]) == ("paid", 3188, "SAVE10")
    assert view["shipping_address"]["city"] == "Berlin"
    assert view["shipping_address"]["erased"] is False
    assert [line["rate_bp"] for line in view["lines"]] == [1900, 700]
    assert view["shipping_method"]["name"] == "Standard"

    admin = staff(shop, "admin")
    seen = read_json(shop, f"/orders/{order_id}", paid_at, admin)
    assert seen["shipping_address"]["line1"] == "Unter den Linden 1"
    shipped = shop.http.post(
        f"/orders/{order_id}/fulfil", json={"tracking_note": "DHL 1"}, headers=admin.headers
    )
    assert shipped.status_code == 200 and shipped.json()["status"] == "fulfilled"

    # Nothing personal is in the event stream: the order names its address by id.
    stored = next(
        e.__dict__
        for e in shop.services.shop.events.get(stored_order(shop, order_id).id)
        if isinstance(e, Order.OrderPlaced)
    )
    assert stored["shipping_address_id"] is not None
    assert "Berlin" not in json.dumps(stored, default=str)

    # Daily sales split the money for the books.
    summary = read_json(shop, "/admin/summary", shipped, admin)
    sales = summary["today"]["sales"]
    assert sales == [
        {
            "currency": "EUR",
            "net_sales": 3188 - 424 - (490 - 78),
            "shipping": 490 - 78,
            "tax": 424,
            "discount": 300,
        }
    ]


def test_addresses_are_checked_per_country_and_kept_in_a_book(shop: ShopUnderTest) -> None:
    shopper = person(shop)
    bad = shop.http.post(
        "/me/addresses",
        json={
            "name": "",
            "line1": "1 Main St",
            "city": "Austin",
            "postal_code": "7870",
            "country": "US",
        },
        headers=shopper.headers,
    )
    assert bad.status_code == 422, bad.text
    fields = {error["field"] for error in bad.json()["errors"]}
    assert fields == {"name", "postal_code", "region"}
    nowhere = shop.http.post(
        "/me/addresses", json={**BERLIN, "country": "XX"}, headers=shopper.headers
    )
    assert nowhere.status_code == 422 and nowhere.json()["errors"][0]["field"] == "country"

    first = shop.http.post("/me/addresses", json=BERLIN, headers=shopper.headers)
    assert first.status_code == 201 and first.json()["default"] is True  # the first one
    texas = {**BERLIN, "city": "Austin", "postal_code": "78701", "country": "us", "region": "tx"}
    second = shop.http.post(
        "/me/addresses", json={**texas, "default": True}, headers=shopper.headers
    )
    assert second.status_code == 201, second.text
    assert (second.json()["country"], second.json()["region"]) == ("US", "US-TX")
    book = shop.http.get("/me/addresses", headers=shopper.headers).json()["items"]
    assert [(a["city"], a["default"]) for a in book] == [("Austin", True), ("Berlin", False)]

    moved = shop.http.put(
        f"/me/addresses/{first.json()['id']}",
        json={**BERLIN, "line1": "Friedrichstr. 2"},
        headers=shopper.headers,
    )
    assert moved.status_code == 200 and moved.json()["line1"] == "Friedrichstr. 2"
    other = person(shop)  # another shopper's address is not found, never revealed
    assert (
        shop.http.delete(f"/me/addresses/{first.json()['id']}", headers=other.headers).status_code
        == 404
    )
    gone = shop.http.delete(f"/me/addresses/{second.json()['id']}", headers=shopper.headers)
    assert gone.status_code == 204
    book = shop.http.get("/me/addresses", headers=shopper.headers).json()["items"]
    assert [(a["line1"], a["default"]) for a in book] == [("Friedrichstr. 2", True)]
    assert shop.http.get("/me/addresses").status_code == 401


def test_shipping_zones_and_what_a_country_may_choose(shop: ShopUnderTest) -> None:
    admin = shop.admin()
    express = shop.http.post(
        "/admin/shipping-methods",
        json={
            **STANDARD,
            "name": "Express",
            "price": 1290,
            "min_days": 1,
            "max_days": 1,
            "rates": [{"currency": "USD", "price": 1490}],
        },
        headers=admin,
    )
    assert express.status_code == 201, express.text
    standard = shop.http.post("/admin/shipping-methods", json=STANDARD, headers=admin)
    world = shop.http.post(
        "/admin/shipping-methods",
        json={**STANDARD, "name": "World", "countries": ["US", "CA"], "price": 2500},
        headers=admin,
    )
    assert (
        shop.http.post(
            "/admin/shipping-methods", json={**STANDARD, "countries": ["ZZ"]}, headers=admin
        ).status_code
        == 422
    )
    after = world
    germany = read_json(shop, "/shipping-methods?country=DE", after, person(shop))["items"]
    assert [(m["name"], m["price"]) for m in germany] == [("Standard", 490), ("Express", 1290)]
    dollars = read_json(shop, "/shipping-methods?country=DE&currency=USD", after, person(shop))
    assert [(m["name"], m["price"]) for m in dollars["items"]] == [("Express", 1490)]
    assert shop.http.get("/shipping-methods?country=XX").status_code == 422

    changed = shop.http.put(
        f"/admin/shipping-methods/{standard.json()['id']}",
        json={**STANDARD, "price": 590},
        headers=admin,
    )
    assert changed.status_code == 200 and changed.json()["price"] == 590
    removed = shop.http.delete(f"/admin/shipping-methods/{express.json()['id']}", headers=admin)
    assert removed.status_code == 204
    listed = read_json(shop, "/admin/shipping-methods", removed, staff(shop, "support"))
    assert sorted(m["name"] for m in listed["items"]) == ["Standard", "World"]
    assert (
        shop.http.post(
            "/admin/shipping-methods", json=STANDARD, headers=person(shop).headers
        ).status_code
        == 403
    )

    # A country no method ships to: refused, saying why; no method chosen: refused.
    buyer = person(shop)
    assert add(shop, buyer, new_product(shop), 1).status_code == 201
    paris = {**BERLIN, "city": "Paris", "postal_code": "75001", "country": "FR"}
    refused = checkout(
        shop, buyer, json={"shipping_address": paris, "shipping_method_id": standard.json()["id"]}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "shipping_address.country"
    assert "does not ship to FR" in refused.json()["detail"]
    unchosen = checkout(shop, buyer, json={"shipping_address": BERLIN})
    assert (
        unchosen.status_code == 422
        and unchosen.json()["errors"][0]["field"] == "shipping_method_id"
    )
    no_address = checkout(shop, buyer)
    assert (
        no_address.status_code == 422
        and no_address.json()["errors"][0]["field"] == "shipping_address"
    )


def test_a_shop_without_shipping_methods_sells_as_before(shop: ShopUnderTest) -> None:
    buyer = person(shop)
    product_id = new_product(shop, price=1500)
    assert add(shop, buyer, product_id, 2).status_code == 201
    placed = checkout(shop, buyer, key="plain")
    assert placed.status_code == 201, placed.text
    answer = placed.json()
    assert (answer["subtotal"], answer["shipping"], answer["tax"], answer["total"]) == (
        3000,
        0,
        0,
        3000,
    )
    view = read_json(shop, f"/orders/{answer['order_id']}", placed, buyer)
    assert view["shipping_address"] is None and view["shipping_method"] is None


def test_tax_rates_and_prices_that_exclude_tax(shop: ShopUnderTest, settings: Any) -> None:
    admin = shop.admin()
    pct = shop.http.post("/admin/tax-rates", json={"country": "AT", "rate": "20"}, headers=admin)
    assert pct.status_code == 201 and pct.json()["rate_bp"] == 2000, pct.text
    again = shop.http.post(
        "/admin/tax-rates", json={"country": "at", "rate_bp": 1000}, headers=admin
    )
    assert again.status_code == 409
    bad = shop.http.post("/admin/tax-rates", json={"country": "AT", "rate": "7.777"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "rate"
    changed = shop.http.put(
        f"/admin/tax-rates/{pct.json()['id']}",
        json={"country": "AT", "rate_bp": 1300},
        headers=admin,
    )
    assert changed.status_code == 200 and changed.json()["rate_bp"] == 1300
    rates = read_json(shop, "/admin/tax-rates", changed, staff(shop, "admin"))["items"]
    assert [(r["country"], r["rate_bp"]) for r in rates] == [("AT", 1300)]

    # A US-style shop: prices exclude tax, which checkout adds on top (8 % in Texas here).
    us = settings.model_copy(update={"prices_include_tax": False})
    with start_shop(us, worker=False) as american:
        assert (
            american.http.post(
                "/admin/tax-rates", json={"country": "US", "rate_bp": 800}, headers=american.admin()
            ).status_code
            == 201
        )
        buyer = person(american)
        assert add(american, buyer, new_product(american, price=1000), 2).status_code == 201
        texas = {
            **BERLIN,
            "city": "Austin",
            "postal_code": "78701",
            "country": "US",
            "region": "TX",
        }
        placed = checkout(american, buyer, json={"shipping_address": texas})
    assert placed.status_code == 201, placed.text
    answer = placed.json()
    assert (answer["subtotal"], answer["tax"], answer["total"], answer["amount"]) == (
        2000,
        160,
        2160,
        2160,
    )


def test_fifty_shoppers_race_for_the_last_use_of_a_code(shop: ShopUnderTest) -> None:
    admin = shop.admin()
    made = shop.http.post(
        "/admin/discount-codes",
        json={"code": "LAST", "amount_off": 100, "currency": "EUR", "max_uses": 1},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    product_id = new_product(shop, price=1000, stock=100)
    shoppers: list[Person] = [person(shop) for _ in range(50)]
    for shopper in shoppers:
        assert add(shop, shopper, product_id, 1).status_code == 201

    with httpx.Client(
        base_url=shop.url, timeout=120, limits=httpx.Limits(max_connections=50)
    ) as http:

        def buy(shopper: Person) -> httpx.Response:
            return http.post("/checkout", json={"discount_code": "LAST"}, headers=shopper.headers)

        answers = all_at_once([lambda s=s: buy(s) for s in shoppers])
    outcomes = Counter(a.status_code for a in answers)
    assert outcomes[201] == 1, [a.text for a in answers if a.status_code not in (201, 422)][:3]
    assert set(outcomes) <= {201, 409, 422}, outcomes
    refused = [a.json()["detail"] for a in answers if a.status_code == 422]
    assert all("LAST has been used up" in detail for detail in refused)
    winner = next(a for a in answers if a.status_code == 201).json()
    assert winner["discount"] == 100 and winner["total"] == 900
    codes = read_json(shop, "/admin/discount-codes", store_position(shop), staff(shop, "admin"))
    assert [(c["code"], c["uses"]) for c in codes["items"]] == [("LAST", 1)]

    # The winner cancels before paying: the use comes back for someone else.
    owner = next(s for s, a in zip(shoppers, answers, strict=True) if a.status_code == 201)
    cancelled = shop.http.post(f"/orders/{winner['order_id']}/cancel", headers=owner.headers)
    assert cancelled.status_code == 200, cancelled.text
    loser = next(s for s, a in zip(shoppers, answers, strict=True) if a.status_code != 201)
    second = checkout(shop, loser, json={"discount_code": "last"})
    assert second.status_code == 201 and second.json()["discount"] == 100, second.text


def test_discount_code_terms_and_why_a_code_does_not_apply(shop: ShopUnderTest) -> None:
    admin = shop.admin()
    cheap = new_product(shop, price=500)
    for code in (
        {"code": "BIG", "percent_off": 5, "min_subtotal": 10000, "currency": "EUR"},
        {"code": "OVER", "percent_off": 5, "ends_at": "2020-01-01T00:00:00Z"},
        {"code": "FIXED", "amount_off": 700, "currency": "EUR"},
    ):
        assert shop.http.post("/admin/discount-codes", json=code, headers=admin).status_code == 201
    duplicate = shop.http.post(
        "/admin/discount-codes", json={"code": "big", "percent_off": 1}, headers=admin
    )
    assert duplicate.status_code == 409
    both = shop.http.post(
        "/admin/discount-codes",
        json={"code": "BOTH", "percent_off": 5, "amount_off": 100, "currency": "EUR"},
        headers=admin,
    )
    assert both.status_code == 422
    buyer = person(shop)
    assert add(shop, buyer, cheap, 1).status_code == 201
    for code, why in (
        ("BIG", "needs a subtotal of at least 100.00 EUR"),
        ("OVER", "has expired"),
        ("NOPE", "is not a valid code"),
    ):
        quoted = shop.http.post(
            "/checkout/quote", json={"discount_code": code}, headers=buyer.headers
        )
        assert quoted.status_code == 422, quoted.text
        assert quoted.json()["errors"][0]["field"] == "discount_code"
        assert why in quoted.json()["detail"]
    # A fixed amount above the subtotal takes the subtotal, never more.
    fixed = shop.http.post(
        "/checkout/quote", json={"discount_code": "fixed"}, headers=buyer.headers
    )
    assert fixed.status_code == 422  # nothing left to pay
    assert add(shop, buyer, cheap, 2).status_code == 201
    fixed = shop.http.post(
        "/checkout/quote", json={"discount_code": "fixed"}, headers=buyer.headers
    )
    assert (fixed.json()["discount"], fixed.json()["total"]) == (700, 800)


def test_an_address_from_the_book_and_a_billing_address(shop: ShopUnderTest) -> None:
    setup = set_up_germany(shop)
    buyer = person(shop)
    entry = shop.http.post("/me/addresses", json=BERLIN, headers=buyer.headers).json()
    assert add(shop, buyer, new_product(shop, price=20000), 1).status_code == 201
    billing = {**BERLIN, "name": "Schmidt GmbH", "line1": "Postfach 10"}
    placed = checkout(
        shop,
        buyer,
        json={
            "address_id": entry["id"],
            "billing_address": billing,
            "shipping_method_id": setup["method"]["id"],
        },
    )
    assert placed.status_code == 201, placed.text
    assert placed.json()["shipping"] == 0  # free above 100.00 EUR
    view = read_json(shop, f"/orders/{placed.json()['order_id']}", placed, buyer)
    assert view["billing_address"]["name"] == "Schmidt GmbH"
    assert view["shipping_address"]["name"] == "Anna Schmidt"
    other = person(shop)
    assert add(shop, other, new_product(shop), 1).status_code == 201
    stolen = checkout(
        shop, other, json={"address_id": entry["id"], "shipping_method_id": setup["method"]["id"]}
    )
    assert stolen.status_code == 422 and stolen.json()["errors"][0]["field"] == "address_id"
    typo = checkout(shop, other, json={"shipping_address": {**BERLIN, "postal_code": "1"}})
    assert typo.status_code == 422
    assert typo.json()["errors"][0]["field"] == "shipping_address.postal_code"
