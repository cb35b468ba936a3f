"""The German purchase of issue 15, in Chromium: a shopper checks out in steps (a new address,
standard shipping, SAVE10, every figure with 19 % and 7 % VAT), a declined card then a good
one pays the one order; the receipt shows it all; the admin sees where it goes, can print
the packing slip, and ships it. axe-core finds nothing serious on the checkout steps."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.ui import (
    ADMIN_PASSWORD,
    WEBHOOK_WAIT_MS,
    account,
    new_page,
    serious_axe_violations,
    sign_in,
    token_for,
    unique,
)
from tests.support.servers import ShopUnderTest

pytestmark = pytest.mark.e2e


def set_up_selling(shop: ShopUnderTest) -> None:
    admin = shop.admin()
    for path, body in (
        ("/admin/tax-rates", {"country": "DE", "rate_bp": 1900, "reduced_rate_bp": 700}),
        (
            "/admin/shipping-methods",
            {
                "name": "Standard",
                "countries": ["DE", "AT"],
                "price": 490,
                "currency": "EUR",
                "free_above": 10000,
                "min_days": 2,
                "max_days": 4,
            },
        ),
        ("/admin/discount-codes", {"code": "SAVE10", "percent_off": 10}),
    ):
        answer = shop.http.post(path, json=body, headers=admin)
        assert answer.status_code == 201, answer.text


def test_checkout_in_steps_a_second_card_the_receipt_and_the_packing_slip(
    shop: ShopUnderTest, page: Page, browser: Browser
) -> None:
    set_up_selling(shop)
    shirt = shop.create_product(name=unique("Shirt "), price=1999, stock=5).json()
    book = shop.create_product(name=unique("Book "), price=999, stock=5, tax_class="reduced").json()
    shopper = shop.register()
    headers = shop.login(shopper["username"])
    for product in (shirt, book):
        added = shop.http.post(
            "/cart", json={"product_id": product["id"], "quantity": 1}, headers=headers
        )
        assert added.status_code == 201, added.text
    sign_in(page, shopper["username"])

    page.get_by_role("link", name=re.compile("^Cart")).click()
    page.get_by_role("button", name="Checkout").click()
    expect(page.get_by_test_id("checkout-step")).to_have_text("Address")
    expect(page.get_by_role("list", name="Checkout steps")).to_be_visible()
    assert serious_axe_violations(page) == []
    page.get_by_label("Full name").fill("Anna Schmidt")
    page.get_by_label("Street and number").fill("Unter den Linden 1")
    page.get_by_label("Postal code").fill("1011")  # one digit short
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Country").select_option("DE")
    page.get_by_role("button", name="Continue to shipping").click()
    expect(page.get_by_text("Postal code is not a postal code of Germany.")).to_be_visible()
    page.get_by_label("Postal code").fill("10117")
    page.get_by_role("button", name="Continue to shipping").click()

    expect(page.get_by_test_id("checkout-step")).to_have_text("Shipping")
    expect(page.get_by_test_id("checkout-step")).to_be_focused()
    option = page.get_by_test_id("shipping-option")
    expect(option).to_contain_text("Standard")
    expect(option).to_contain_text("€4.90")
    page.get_by_role("button", name="Continue to review").click()

    expect(page.get_by_test_id("checkout-step")).to_have_text("Review and pay")
    expect(page.get_by_test_id("figure-total")).to_have_text("€34.88")
    page.get_by_label("Discount code").fill("save10")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_test_id("figure-discount")).to_have_text("\u2212€3.00")
    expect(page.get_by_test_id("figure-shipping")).to_have_text("€4.90")
    expect(page.get_by_test_id("figure-tax-1900")).to_have_text("€3.65")
    expect(page.get_by_test_id("figure-tax-700")).to_have_text("€0.59")
    expect(page.get_by_test_id("figure-total")).to_have_text("€31.88")
    assert serious_axe_violations(page) == []
    page.get_by_role("button", name="Place order and pay").click()

    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}/pay$"))
    order_id = page.url.rsplit("/", 2)[-2]
    expect(page.get_by_test_id("amount-due")).to_have_text("€31.88")
    stored = shop.services.shop.order_for(uuid.UUID(order_id))
    intent = shop.services.payments.retrieve_payment_intent(stored.payment_intent_id or "")
    assert intent.amount == 3188  # the PaymentIntent asks the order's total
    page.get_by_role("button", name="Simulate declined card").click()
    expect(page.get_by_test_id("order-status")).to_have_text(
        "Payment failed", timeout=WEBHOOK_WAIT_MS
    )
    page.get_by_role("button", name="Try again with test card").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=WEBHOOK_WAIT_MS)

    page.goto(f"/orders/{order_id}")
    receipt = page.get_by_test_id("receipt")
    expect(receipt.get_by_test_id("figure-total")).to_have_text("€31.88")
    expect(receipt.get_by_test_id("figure-discount")).to_contain_text("€3.00")
    expect(page.get_by_test_id("order-shipping-address")).to_contain_text("Unter den Linden 1")
    expect(page.get_by_role("button", name="Print receipt")).to_be_visible()

    # The admin: where it goes, the packing slip, and shipping it.
    admin = account(shop, "admin")
    with new_page(browser, shop, token=token_for(shop, admin, ADMIN_PASSWORD)) as staff:
        staff.goto(f"/admin/orders/{order_id}")
        expect(staff.get_by_test_id("ship-to")).to_contain_text("10117 Berlin")
        expect(staff.get_by_role("button", name="Print packing slip")).to_be_visible()
        staff.emulate_media(media="print")
        expect(staff.get_by_role("button", name="Mark as shipped")).to_be_hidden()  # not on paper
        expect(staff.get_by_test_id("order-shipping-address")).to_be_visible()
        staff.emulate_media(media="screen")
        staff.get_by_role("button", name="Mark as shipped").click()
        expect(staff.get_by_test_id("order-status")).to_have_text("Shipped")
