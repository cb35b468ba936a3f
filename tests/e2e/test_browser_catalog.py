"""Issue 9 end to end, in Debian's Chromium against the real stack (gateway, worker, Stripe
emulator): a shopper finds a product by searching, buys two, changes the quantity, pays
after a declined card and watches the order turn paid and then shipped without a reload;
an admin adds a picture, finds the order by the customer's email, steps through its
history and refunds after confirming. Playwright's expect waits; nothing sleeps."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.ui import (
    ADMIN_PASSWORD,
    LIVE_WAIT_MS,
    WEBHOOK_WAIT_MS,
    account,
    check_out_in_browser,
    history_entry,
    product_card,
    sign_in,
    unique,
)
from tests.support.servers import ShopUnderTest

pytestmark = pytest.mark.e2e


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 600), (30, 90, 160)).save(out, "JPEG")
    return out.getvalue()


def test_shopper_searches_buys_pays_after_a_decline_and_watches_it_live(
    shop: ShopUnderTest, page: Page
) -> None:
    tag = unique("q")
    teapot = f"Teapot {tag}"
    shop.create_product(name=teapot, description="Short and stout", price=1250, stock=5)
    shop.create_product(name=f"Kettle {tag}", description="Whistles", price=3000, stock=5)
    shopper = shop.register()
    sign_in(page, shopper["username"])

    search = page.get_by_role("search").get_by_role("searchbox", name="Search products")
    search.fill(f"stout {tag}")
    search.press("Enter")
    expect(page.get_by_test_id("result-count")).to_have_text("1 result")
    product_card(page, teapot).get_by_role("link", name=teapot).click()
    expect(page.get_by_role("heading", name=teapot)).to_be_visible()
    page.get_by_role("button", name="Increase quantity").click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_test_id("cart-count")).to_have_text("2")

    page.get_by_role("link", name=re.compile("^Cart")).click()
    line = page.get_by_test_id("cart-line")
    line.get_by_role("button", name=f"Increase quantity of {teapot}").click()
    expect(line.get_by_label(f"Quantity of {teapot}", exact=True)).to_have_value("3")
    expect(page.get_by_test_id("cart-total")).to_have_text("€37.50")
    expect(page.get_by_test_id("cart-count")).to_have_text("3")

    # A declined card first; the shopper pays the same order again with another card.
    order_id = check_out_in_browser(page)
    page.get_by_role("button", name="Simulate declined card").click()
    expect(page.get_by_test_id("order-status")).to_have_text(
        "Payment failed", timeout=WEBHOOK_WAIT_MS
    )
    page.get_by_role("button", name="Try again with test card").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=WEBHOOK_WAIT_MS)
    assert page.url.rsplit("/", 2)[-2] == order_id  # one order, paid on the second try

    # The order page follows the order: the admin ships it, the page says so by itself.
    page.goto(f"/orders/{order_id}")
    expect(page.get_by_test_id("order-status")).to_have_text("Paid")
    expect(page.get_by_test_id("order-total")).to_have_text("€37.50")
    shipped = shop.http.post(
        f"/orders/{order_id}/fulfil", json={"tracking_note": "UPS 42"}, headers=shop.admin()
    )
    assert shipped.status_code == 200, shipped.text
    expect(page.get_by_test_id("order-status")).to_have_text("Shipped", timeout=LIVE_WAIT_MS)
    expect(page.get_by_test_id("tracking-note")).to_have_text("UPS 42")


def test_admin_adds_a_picture_finds_an_order_by_email_travels_and_refunds(
    shop: ShopUnderTest, page: Page
) -> None:
    teapot = unique("Teapot ")
    product = shop.create_product(name=teapot, price=1999, stock=9).json()
    customer = shop.register()
    email = f"{customer['username']}@example.com"
    auth = shop.login(customer["username"])
    assert (
        shop.http.post(
            "/cart", json={"product_id": product["id"], "quantity": 2}, headers=auth
        ).status_code
        == 201
    )
    placed = shop.http.post("/checkout", headers={**auth, "Idempotency-Key": unique("k")})
    order_id = placed.json()["order_id"]
    paid = shop.http.post(
        f"/dev/payments/{order_id}/confirm", json={"outcome": "success"}, headers=auth
    )
    assert paid.status_code == 202, paid.text
    admin = account(shop, "admin")
    sign_in(page, admin, ADMIN_PASSWORD)

    # A picture for the product: uploaded, resized, shown in the catalog.
    page.get_by_role("link", name="Manage products").click()
    page.get_by_role("button", name=f"Edit {teapot}").click()
    page.get_by_label("Add a picture").set_input_files(
        {"name": "teapot.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}
    )
    picture = page.get_by_role("img", name=f"Picture 1 of {teapot}")
    expect(picture).to_be_visible()
    page.goto("/")
    image = product_card(page, teapot).locator("img")
    expect(image).to_have_attribute("src", re.compile(r"/images/[0-9a-f]{64}\.jpg$"))
    loaded = image.evaluate("img => img.complete && img.naturalWidth")
    assert loaded, "the picture did not load"

    # The order, found by the customer's email; the admin home lists it too.
    page.goto("/admin")
    expect(page.get_by_test_id("stats-today-orders")).to_have_text("1")
    page.goto("/admin/orders")
    page.get_by_label("Find orders").fill(email)
    page.get_by_role("button", name="Find", exact=True).click()
    rows = page.get_by_test_id("order-row")
    expect(rows).to_have_count(1)
    expect(rows).to_have_attribute("data-order-id", order_id)
    expect(rows).to_contain_text(customer["username"])
    page.goto(f"/admin/orders/{order_id}")
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=WEBHOOK_WAIT_MS)

    # Through its history in time: the first step is the order as placed.
    travel = page.get_by_test_id("time-travel")
    slider = travel.get_by_test_id("tt-slider")
    slider.focus()
    page.keyboard.press("Home")
    expect(travel.get_by_test_id("tt-step")).to_contain_text("Order placed")
    expect(travel.get_by_test_id("tt-status")).to_contain_text("Awaiting payment")
    page.keyboard.press("End")
    expect(travel.get_by_test_id("tt-status")).to_contain_text("Paid")

    # A refund asks first, then goes to Stripe.
    page.get_by_label("Refund amount (EUR)").fill("5")
    page.get_by_role("button", name="Refund", exact=True).click()
    dialog = page.get_by_role("dialog", name="Refund €5.00?")
    dialog.get_by_role("button", name="Refund €5.00").click()
    expect(page.get_by_test_id("toast")).to_contain_text("Refund of €5.00 sent to Stripe")
    expect(history_entry(page, "RefundRequested")).to_contain_text(
        "Refund of €5.00 requested", timeout=LIVE_WAIT_MS
    )
