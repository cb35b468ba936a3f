"""PUT /cart/{product_id}: set a line's quantity (0 removes it), over real HTTP on both
backends; GET /cart's count; and every way a quantity can be refused."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support.servers import ShopUnderTest
from tests.support.shopping import Person, add, checkout, new_product, person

Anyone = Person("", {})


def put(shop: ShopUnderTest, who: Person, product: str, body: object) -> httpx.Response:
    return shop.http.put(f"/cart/{product}", json=body, headers=who.headers)


def cart_after(shop: ShopUnderTest, who: Person, answer: httpx.Response) -> dict[str, Any]:
    read = shop.read("/cart", after=answer, headers=who.headers)
    assert read.status_code == 200, read.text
    body: dict[str, Any] = read.json()
    return body


def test_set_raise_lower_and_remove_a_line(shop: ShopUnderTest) -> None:
    teapot = new_product(shop, price=1999, stock=5)
    cup = new_product(shop, price=450, stock=10)
    alice = person(shop)
    add(shop, alice, teapot, 1)

    raised = put(shop, alice, teapot, {"quantity": 4})
    assert raised.status_code == 200, raised.text
    assert raised.json() == {"product_id": teapot, "quantity": 4}  # set, not added
    new_line = put(shop, alice, cup, {"quantity": 2})  # a PUT may start a line
    assert new_line.status_code == 200, new_line.text
    cart = cart_after(shop, alice, new_line)
    assert [(i["product_id"], i["quantity"]) for i in cart["items"]] == [(teapot, 4), (cup, 2)]
    assert (cart["count"], cart["total"]) == (6, 4 * 1999 + 2 * 450)

    lowered = put(shop, alice, teapot, {"quantity": 1})
    assert lowered.status_code == 200, lowered.text
    assert cart_after(shop, alice, lowered)["count"] == 3
    removed = put(shop, alice, teapot, {"quantity": 0})
    assert removed.status_code == 200, removed.text
    assert removed.json() == {"product_id": teapot, "quantity": 0}
    cart = cart_after(shop, alice, removed)
    assert [(i["product_id"], i["quantity"]) for i in cart["items"]] == [(cup, 2)]
    assert cart["count"] == 2
    # Removing what is not there, or setting what is there, changes nothing and is no error.
    again = put(shop, alice, teapot, {"quantity": 0})
    same = put(shop, alice, cup, {"quantity": 2})
    assert (again.status_code, same.status_code) == (200, 200)
    assert cart_after(shop, alice, same)["count"] == 2

    # The order takes the quantities as set.
    placed = checkout(shop, alice)
    assert placed.status_code == 201, placed.text
    assert placed.json()["amount"] == 2 * 450


def test_quantities_are_checked(shop: ShopUnderTest) -> None:
    teapot = new_product(shop, price=1999, stock=3)
    alice = person(shop)
    add(shop, alice, teapot, 2)
    for body in ({"quantity": -1}, {"quantity": 1001}, {"quantity": "2"}, {}, {"quantity": 1.5}):
        answer = put(shop, alice, teapot, body)
        assert answer.status_code == 422, (body, answer.text)
    over = put(shop, alice, teapot, {"quantity": 4})
    assert over.status_code == 422
    assert "only 3 in stock" in over.json()["detail"]
    unknown = put(shop, alice, str(uuid.uuid4()), {"quantity": 1})
    assert unknown.status_code == 422
    assert "unknown product" in unknown.json()["detail"]
    assert put(shop, Anyone, teapot, {"quantity": 1}).status_code == 401
    assert (
        shop.http.put("/cart/not-a-uuid", json={"quantity": 1}, headers=alice.headers).status_code
        == 422
    )

    # Lowering is allowed even when the stock fell below the line meanwhile.
    admin = {**shop.admin(), "If-Match": '"1"'}
    body = {"name": "Teapot", "description": "", "price": 1999, "stock": 1}
    assert shop.http.put(f"/products/{teapot}", json=body, headers=admin).status_code == 200
    lowered = put(shop, alice, teapot, {"quantity": 1})
    assert lowered.status_code == 200, lowered.text
    # Another shopper's cart is untouched by all this.
    bob = person(shop)
    assert cart_after(shop, bob, lowered)["items"] == []
