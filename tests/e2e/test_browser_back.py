"""Back never shows the API's JSON: the storefront's pages share paths with the API
(/orders/{id}, /cart), and API answers say Cache-Control: no-store and Vary: Accept, so a
history entry loaded again is the page, never the raw order (user_id, payment_intent_id)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.ui import PASSWORD, sign_in, unique
from tests.support.servers import ShopUnderTest

pytestmark = pytest.mark.e2e

RAW = ("payment_intent_id", "user_id", '"status"')


def assert_no_raw_json(page: Page) -> None:
    text = page.locator("body").inner_text()
    assert not text.lstrip().startswith("{"), text[:300]
    for marker in RAW:
        assert marker not in text, text[:300]


def test_back_shows_pages_not_json_even_after_logging_out(shop: ShopUnderTest, page: Page) -> None:
    product = shop.create_product(name=unique("Teapot "), price=499, stock=5).json()
    account = shop.register(password=PASSWORD)
    auth = shop.login(account["username"], PASSWORD)
    added = shop.http.post("/cart", json={"product_id": product["id"], "quantity": 1}, headers=auth)
    assert added.status_code == 201, added.text
    placed = shop.http.post("/checkout", headers={**auth, "Idempotency-Key": uuid.uuid4().hex})
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]

    sign_in(page, account["username"])
    # Full page loads: each is a navigation, and the page then fetches the same URL as JSON.
    page.goto(f"/orders/{order_id}")
    expect(page.get_by_test_id("order-status")).to_be_visible()
    page.goto("/cart")
    page.go_back()
    expect(page).to_have_url(f"{shop.url}/orders/{order_id}")
    expect(page.get_by_test_id("order-status")).to_be_visible()
    assert_no_raw_json(page)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
    page.go_back()
    assert_no_raw_json(page)
    page.go_back()
    assert_no_raw_json(page)
    # Signed out for good: a reload does not bring the session back from the cookie.
    page.goto(f"/orders/{order_id}")
    assert_no_raw_json(page)
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
