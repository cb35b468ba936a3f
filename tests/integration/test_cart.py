"""The cart over real HTTP: lines priced from the catalog, privacy between shoppers, and every
way a line can be refused. Runs on both backends (the `shop` fixture)."""

from __future__ import annotations

import uuid
from uuid import UUID

from sqlalchemy import delete

from domain.accounts import Account
from domain.carts import Cart, cart_id_for, next_cart_id_for
from projections.carts import carts
from tests.support.servers import ShopUnderTest
from tests.support.shopping import add, checkout, new_product, person, read_json, store_position


def lines_of(cart: dict[str, object]) -> dict[str, tuple[int, int, int]]:
    """product id -> (unit price, quantity, line total)."""
    items = cart["items"]
    assert isinstance(items, list)
    return {
        item["product_id"]: (item["unit_price"], item["quantity"], item["line_total"])
        for item in items
    }


def test_lines_are_added_increased_and_priced_at_the_current_price(shop: ShopUnderTest) -> None:
    teapot = new_product(shop, price=1999, stock=5)
    cup = new_product(shop, price=450, stock=10)
    alice = person(shop)

    first = add(shop, alice, teapot, 1)
    assert first.status_code == 201, first.text
    assert first.json() == {"product_id": teapot, "quantity": 1}
    more = add(shop, alice, teapot, 2)
    assert more.status_code == 201, more.text
    assert more.json()["quantity"] == 3  # increased, not replaced
    cups = add(shop, alice, cup, 4)
    assert cups.status_code == 201, cups.text

    cart = read_json(shop, "/cart", cups, alice)
    assert [item["product_id"] for item in cart["items"]] == [teapot, cup]  # order of adding
    assert lines_of(cart) == {teapot: (1999, 3, 5997), cup: (450, 4, 1800)}
    assert cart["total"] == 7797
    assert cart["currency"] == "EUR"
    assert cart["items"][0]["name"] == "Teapot"
    assert all(item["currency"] == "EUR" for item in cart["items"])

    # An admin changes the teapot's price: the cart shows the new one (it is not a quote).
    repriced = shop.http.put(
        f"/products/{teapot}",
        json={"name": "Teapot", "description": "Short and stout", "price": 2500, "stock": 5},
        headers=shop.admin(),
    )
    assert repriced.status_code == 200, repriced.text
    cart = read_json(shop, "/cart", repriced, alice)
    assert lines_of(cart) == {teapot: (2500, 3, 7500), cup: (450, 4, 1800)}
    assert cart["total"] == 9300


def test_a_line_is_removed_and_then_gone(shop: ShopUnderTest) -> None:
    teapot, cup = new_product(shop), new_product(shop, price=300)
    alice = person(shop)
    assert add(shop, alice, teapot, 2).status_code == 201
    assert add(shop, alice, cup, 1).status_code == 201

    removed = shop.http.delete(f"/cart/{teapot}", headers=alice.headers)
    assert removed.status_code == 204, removed.text
    assert removed.content == b""
    cart = read_json(shop, "/cart", removed, alice)
    assert lines_of(cart) == {cup: (300, 1, 300)}
    assert cart["total"] == 300

    again = shop.http.delete(f"/cart/{teapot}", headers=alice.headers)
    assert again.status_code == 404, again.text
    assert "detail" in again.json()
    never = shop.http.delete(f"/cart/{uuid.uuid4()}", headers=alice.headers)
    assert never.status_code == 404, never.text

    # Adding it back starts a fresh line.
    back = add(shop, alice, teapot, 1)
    assert back.json()["quantity"] == 1
    assert lines_of(read_json(shop, "/cart", back, alice))[teapot] == (1999, 1, 1999)


def test_shoppers_cannot_see_or_remove_each_others_lines(shop: ShopUnderTest) -> None:
    teapot = new_product(shop)
    alice, bob = person(shop), person(shop)
    added = add(shop, alice, teapot, 2)
    assert added.status_code == 201

    bobs = read_json(shop, "/cart", added, bob)
    assert bobs["items"] == [] and bobs["total"] == 0

    before = store_position(shop)
    taken = shop.http.delete(f"/cart/{teapot}", headers=bob.headers)
    assert taken.status_code == 404, taken.text  # not in *his* cart: never a 403
    assert store_position(shop) == before

    # Bob's own line of the same product is his alone.
    bobs_line = add(shop, bob, teapot, 1)
    assert bobs_line.json()["quantity"] == 1
    assert lines_of(read_json(shop, "/cart", bobs_line, alice)) == {teapot: (1999, 2, 3998)}
    assert lines_of(read_json(shop, "/cart", bobs_line, bob)) == {teapot: (1999, 1, 1999)}


def test_invalid_lines_are_refused_with_422_and_nothing_recorded(shop: ShopUnderTest) -> None:
    teapot = new_product(shop, stock=3)
    gone = new_product(shop)
    deleted = shop.http.delete(f"/products/{gone}", headers=shop.admin())
    assert deleted.status_code == 204, deleted.text
    alice = person(shop)
    before = store_position(shop)

    for quantity in (0, -1, 1.5, 2.0, "2", "two", None, True, 1001):
        refused = add(shop, alice, teapot, quantity)
        assert refused.status_code == 422, (quantity, refused.text)
        assert "detail" in refused.json()
    for product_id in (str(uuid.uuid4()), gone):
        refused = add(shop, alice, product_id, 1)
        assert refused.status_code == 422, (product_id, refused.text)
    not_an_id = add(shop, alice, "teapot", 1)
    assert not_an_id.status_code == 422, not_an_id.text
    more_than_stock = add(shop, alice, teapot, 4)
    assert more_than_stock.status_code == 422, more_than_stock.text
    assert "3" in more_than_stock.json()["detail"]
    assert store_position(shop) == before  # not one event for any of them


def test_cumulative_adds_cannot_exceed_the_stock_on_hand(shop: ShopUnderTest) -> None:
    teapot = new_product(shop, stock=3)
    alice = person(shop)
    assert add(shop, alice, teapot, 2).status_code == 201
    over = add(shop, alice, teapot, 2)
    assert over.status_code == 422, over.text  # 2 + 2 > 3, though each add alone fits
    last = add(shop, alice, teapot, 1)
    assert last.status_code == 201, last.text
    assert last.json()["quantity"] == 3
    assert add(shop, alice, teapot, 1).status_code == 422
    cart = read_json(shop, "/cart", last, alice)
    assert lines_of(cart) == {teapot: (1999, 3, 5997)}


def test_the_cart_needs_a_valid_token(shop: ShopUnderTest) -> None:
    teapot = new_product(shop)
    before = store_position(shop)
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        assert shop.http.get("/cart", headers=headers).status_code == 401
        posted = shop.http.post(
            "/cart", json={"product_id": teapot, "quantity": 1}, headers=headers
        )
        assert posted.status_code == 401, posted.text
        assert posted.headers.get("WWW-Authenticate") == "Bearer"
        assert shop.http.delete(f"/cart/{teapot}", headers=headers).status_code == 401
    assert store_position(shop) == before


# -- a cart per checkout ------------------------------------------------------------------------


def test_after_a_checkout_the_shopper_has_a_new_empty_cart(shop: ShopUnderTest) -> None:
    teapot, cup = new_product(shop, price=1999, stock=5), new_product(shop, price=450, stock=5)
    alice = person(shop)
    assert add(shop, alice, teapot, 2).status_code == 201
    first = checkout(shop, alice)
    assert first.status_code == 201, first.text
    first_id = first.json()["order_id"]

    # A new, empty cart: nothing of the order shows, and a checkout has nothing to buy. A
    # keyless retry of the checkout (its answer lost) reports the order the cart became.
    cart = read_json(shop, "/cart", first, alice)
    assert (cart["items"], cart["total"]) == ([], 0)
    assert checkout(shop, alice, key="another-checkout").status_code == 422
    retry = checkout(shop, alice)
    assert retry.status_code == 200 and retry.json()["order_id"] == first_id

    # Adding again works, and the cart shows only the new line.
    added = add(shop, alice, cup, 1)
    assert added.status_code == 201, added.text
    assert added.json() == {"product_id": cup, "quantity": 1}
    assert lines_of(read_json(shop, "/cart", added, alice)) == {cup: (450, 1, 450)}

    # The stored carts: the first one is closed and names the second, which the account
    # points at; the second belongs to the order that closed the first.
    user_id = UUID(alice.id)
    account = shop.services.shop.load(Account, user_id)
    assert account.cart_id == next_cart_id_for(user_id, UUID(first_id))
    assert shop.services.shop.load(Cart, cart_id_for(user_id)).next_cart_id == account.cart_id
    second_cart = shop.services.shop.load(Cart, account.cart_id)
    assert (second_cart.user_id, second_cart.lines) == (user_id, {UUID(cup): 1})

    second = checkout(shop, alice)
    assert second.status_code == 201, second.text
    assert second.json()["amount"] == 450
    # The first order is intact: its lines and total are what was checked out then.
    order = read_json(shop, f"/orders/{first_id}", second, alice)
    assert (order["total"], order["status"]) == (3998, "pending_payment")
    assert [(line["product_id"], line["quantity"]) for line in order["lines"]] == [(teapot, 2)]
    assert read_json(shop, "/cart", second, alice)["items"] == []
    mine = read_json(shop, "/orders", second, alice)
    assert {item["id"] for item in mine["items"]} == {first_id, second.json()["order_id"]}

    # A third cart starts like the second: a fresh line, nothing carried over.
    again = add(shop, alice, teapot, 1)
    assert lines_of(read_json(shop, "/cart", again, alice)) == {teapot: (1999, 1, 1999)}


def test_a_lifetime_cart_of_earlier_releases_still_shows(shop: ShopUnderTest) -> None:
    """Views built before the carts table have no row for a lifetime cart; GET /cart still
    finds its lines by the derived id until its next checkout."""
    teapot = new_product(shop)
    alice = person(shop)
    added = add(shop, alice, teapot, 2)
    assert read_json(shop, "/cart", added, alice)["items"]
    with shop.services.read_engine.begin() as conn:
        gone = conn.execute(delete(carts).where(carts.c.user_id == UUID(alice.id))).rowcount
    assert gone == 1  # its first cart is the lifetime cart id
    assert lines_of(read_json(shop, "/cart", added, alice)) == {teapot: (1999, 2, 3998)}
