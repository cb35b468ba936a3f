"""The storefront in a real browser (Debian's chromium, driven by Playwright) against the real
shop: gateway under uvicorn, projection worker, and the Stripe emulator, which confirms
payments through its real webhooks.

Waits are Playwright's own (`expect` retries until the page shows the text); nothing here
sleeps. Order pages follow the order through GET /orders/{id}/stream.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.ui import (
    LIVE_WAIT_MS,
    WEBHOOK_WAIT_MS,
    check_out_in_browser,
    history_entry,
    order_number,
    paid_order,
    product_card,
    session_cookie,
    sign_in,
    unique,
)
from tests.support.servers import ShopUnderTest

pytestmark = pytest.mark.e2e


def test_shopper_registers_buys_and_pays(shop: ShopUnderTest, page: Page) -> None:
    teapot = unique("Teapot ")
    kettle = unique("Kettle ")
    shop.create_product(name=teapot, description="Short and stout", price=1999, stock=5)
    shop.create_product(name=kettle, description="Whistles", price=4550, stock=2)

    shopper = unique("ann")
    page.goto("/")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Username").fill(shopper)
    page.get_by_label("Email").fill(f"{shopper}@example.com")
    page.get_by_label("Password").fill("correct horse")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_test_id("current-user")).to_contain_text(shopper)
    expect(page.get_by_test_id("current-role")).to_have_count(0)  # shoppers need no role badge
    expect(page.get_by_role("link", name="Manage products")).to_have_count(0)

    card = product_card(page, teapot)
    expect(card.get_by_test_id("product-price")).to_have_text("€19.99")
    expect(card.get_by_test_id("product-stock")).to_have_text("5 in stock")
    expect(card.get_by_test_id("letter-tile")).to_have_text("T")  # no pictures yet
    expect(product_card(page, kettle).get_by_test_id("product-stock")).to_have_text("Only 2 left")

    # One from the card: a toast says so and the Cart link counts it.
    card.get_by_role("button", name=f"Add to cart: {teapot}").click()
    expect(page.get_by_test_id("toast")).to_contain_text(f"Added 1 \u00d7 {teapot}")
    expect(page.get_by_test_id("cart-count")).to_have_text("1")

    # The product page: picture (letter tile), description, price, stock, quantity stepper.
    card.get_by_role("link", name=teapot).click()
    expect(page).to_have_url(re.compile(r"/products/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", name=teapot)).to_be_visible()
    expect(page.get_by_test_id("product-description")).to_have_text("Short and stout")
    expect(page.get_by_test_id("product-price")).to_have_text("€19.99")
    page.get_by_role("button", name="Increase quantity").click()
    expect(page.get_by_label("Quantity", exact=True)).to_have_value("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_test_id("toast").filter(has_text=f"Added 2 \u00d7 {teapot}")).to_be_visible()
    expect(page.get_by_test_id("cart-count")).to_have_text("3")

    # The cart's stepper sets a line's quantity (PUT /cart/{product_id}).
    page.get_by_role("link", name=re.compile("^Cart")).click()
    line = page.get_by_test_id("cart-line")
    expect(line).to_have_count(1)
    expect(line.get_by_label(f"Quantity of {teapot}", exact=True)).to_have_value("3")
    line.get_by_role("button", name=f"Decrease quantity of {teapot}").click()
    expect(page.get_by_test_id("cart-total")).to_have_text("€39.98")
    expect(page.get_by_test_id("cart-count")).to_have_text("2")

    order_id = check_out_in_browser(page)
    expect(page.get_by_test_id("order-status")).to_have_text("Awaiting payment")
    expect(page.get_by_test_id("amount-due")).to_have_text("€39.98")
    expect(page.get_by_text("Test mode.")).to_be_visible()
    expect(page.get_by_test_id("cart-count")).to_have_count(0)
    page.get_by_role("button", name="Pay with test card").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=WEBHOOK_WAIT_MS)
    expect(page.get_by_text("Payment received. Thank you for your order!")).to_be_visible()

    page.get_by_role("link", name="My orders").click()
    row = page.get_by_test_id("order-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("order-status")).to_have_text("Paid")
    row.get_by_role("link", name=f"Order #{order_number(order_id)}").click()
    expect(page).to_have_url(re.compile(rf"/orders/{order_id}$"))
    expect(page.get_by_role("heading", name=f"Order #{order_number(order_id)}")).to_be_visible()
    expect(page.get_by_test_id("order-total")).to_have_text("€39.98")

    # The timeline in plain words: no event class names, Stripe ids or "39.98 EUR".
    expect(history_entry(page, "OrderPlaced")).to_contain_text("Order placed")
    expect(history_entry(page, "OrderPlaced")).to_contain_text("2 items, total €39.98")
    expect(history_entry(page, "OrderPlaced")).to_contain_text("by you")
    expect(history_entry(page, "PaymentSucceeded")).to_contain_text("Payment received")
    expect(history_entry(page, "PaymentSucceeded")).to_contain_text("by Stripe")
    expect(history_entry(page, "StripeEventReceived")).to_have_count(0)
    story = page.locator("main").inner_text()
    for internal in ("PaymentSucceeded", "OrderPlaced", "pi_", "evt_", "39.98 EUR", "Version"):
        assert internal not in story, f"{internal!r} shown to the shopper"
    expect(page.get_by_role("heading", name="Payment timeline")).to_have_count(0)
    expect(page.get_by_role("heading", name="Actions")).to_have_count(0)


def test_anonymous_add_to_cart_asks_to_sign_in_then_adds(shop: ShopUnderTest, page: Page) -> None:
    mug = unique("Mug ")
    shop.create_product(name=mug, description="Chipped", price=500, stock=9)
    shopper = shop.register()

    page.goto("/")
    product_card(page, mug).get_by_role("link", name=mug).click()
    page.get_by_role("button", name="Increase quantity").click()
    page.get_by_role("button", name="Increase quantity").click()
    page.get_by_role("button", name="Add to cart").click()

    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status").filter(has_text="to add")).to_contain_text(mug)
    page.get_by_label("Username or email").fill(shopper["username"])
    page.get_by_label("Password").fill(shopper["password"])
    page.get_by_role("button", name="Sign in").click()

    # Back where the shopper was, with the item in the cart.
    expect(page.get_by_role("heading", name=mug)).to_be_visible()
    expect(page.get_by_test_id("toast")).to_contain_text(f"Added 3 \u00d7 {mug} to your cart.")
    expect(page.get_by_test_id("cart-count")).to_have_text("3")
    page.get_by_role("link", name=re.compile("^Cart")).click()
    expect(page.get_by_test_id("cart-line")).to_contain_text(mug)
    expect(
        page.get_by_test_id("cart-line").get_by_label(f"Quantity of {mug}", exact=True)
    ).to_have_value("3")


def test_register_shows_each_problem_next_to_its_field(shop: ShopUnderTest, page: Page) -> None:
    page.goto("/register")
    page.get_by_label("Username").fill("ab")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()

    username = page.get_by_label("Username")
    expect(username).to_have_attribute("aria-invalid", "true")
    expect(username).to_be_focused()
    errors = page.get_by_test_id("field-error")
    expect(errors).to_have_count(3)
    expect(page.locator("#register-username-error")).to_have_text(
        "Username must be at least 3 characters long."
    )
    expect(page.locator("#register-email-error")).to_have_text(
        "Enter a valid email address, like name@example.com."
    )
    expect(page.locator("#register-password-error")).to_have_text(
        "Password must be at least 8 characters long."
    )
    expect(page.get_by_text("String should")).to_have_count(0)

    name = unique("bea")
    username.fill(name)
    page.get_by_label("Email").fill(f"{name}@example.com")
    page.get_by_label("Password").fill("long enough secret")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_test_id("current-user")).to_contain_text(name)


def test_declined_card_offers_another_try(shop: ShopUnderTest, page: Page) -> None:
    mug = unique("Mug ")
    shop.create_product(name=mug, description="Chipped", price=500, stock=3)
    shopper = shop.register()
    sign_in(page, shopper["username"])

    product_card(page, mug).get_by_role("button", name=f"Add to cart: {mug}").click()
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    page.get_by_role("link", name=re.compile("^Cart")).click()
    order_id = check_out_in_browser(page)
    page.get_by_role("button", name="Simulate declined card").click()
    expect(page.get_by_test_id("payment-declined")).to_contain_text("The card was declined")
    expect(page.get_by_test_id("order-status")).to_have_text(
        "Payment failed", timeout=WEBHOOK_WAIT_MS
    )

    # Not a dead end: the same order takes another card.
    page.get_by_role("button", name="Try again with test card").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=WEBHOOK_WAIT_MS)
    assert page.url.rsplit("/", 2)[-2] == order_id

    page.goto(f"/orders/{order_id}")
    expect(page.get_by_test_id("order-status")).to_have_text("Paid")
    expect(history_entry(page, "PaymentFailed")).to_contain_text("Payment failed")
    expect(history_entry(page, "PaymentSucceeded")).to_be_visible()


def test_order_page_follows_fulfilment_and_refunds_without_reload(
    shop: ShopUnderTest, page: Page
) -> None:
    teapot = unique("Teapot ")
    product = shop.create_product(name=teapot, price=499, stock=5).json()
    order_id, shopper_auth = paid_order(shop, product["id"], 3)
    token = shopper_auth["Authorization"].removeprefix("Bearer ")
    page.context.add_cookies([session_cookie(shop, token)])
    page.goto(f"/orders/{order_id}")
    expect(page.get_by_test_id("order-status")).to_have_text("Paid")

    admin = shop.admin()
    refunded = shop.http.post(
        f"/orders/{order_id}/refunds",
        json={"amount": 250},
        headers={**admin, "Idempotency-Key": "shop-refund"},
    )
    assert refunded.status_code == 202, refunded.text
    expect(history_entry(page, "RefundSubmitted")).to_contain_text(
        "Refund of €2.50 sent", timeout=LIVE_WAIT_MS
    )
    fulfilled = shop.http.post(
        f"/orders/{order_id}/fulfil", json={"tracking_note": "DHL 123"}, headers=admin
    )
    assert fulfilled.status_code == 200, fulfilled.text
    expect(page.get_by_test_id("order-status")).to_have_text("Shipped", timeout=LIVE_WAIT_MS)
    expect(page.get_by_test_id("tracking-note")).to_have_text("DHL 123")
    expect(history_entry(page, "OrderFulfilled")).to_contain_text("Tracking: DHL 123")
    expect(history_entry(page, "OrderFulfilled")).to_contain_text("by the shop team")


def test_shopper_cannot_open_admin_pages(shop: ShopUnderTest, page: Page) -> None:
    shopper = shop.register()
    sign_in(page, shopper["username"])
    expect(page.get_by_role("link", name="Manage products")).to_have_count(0)
    expect(page.get_by_role("link", name="Dashboard")).to_have_count(0)

    for path in ("/admin", "/admin/products", "/admin/orders"):
        page.goto(path)
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text(
            f"You are signed in as {shopper['username']} (shopper)"
        )

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    page.goto("/admin/products")
    expect(page).to_have_url(re.compile(r"/login$"))
    refused = shop.http.post(
        "/products",
        json={"name": "Nope", "description": "", "price": 1, "stock": 1},
        headers=shop.login(shopper["username"]),
    )
    assert refused.status_code == 403
