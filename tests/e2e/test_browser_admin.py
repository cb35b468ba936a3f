"""The dashboard in a real browser: the admin home, confirmations before what cannot be undone,
toasts that go away by themselves, time travel over an order's events, and the support
agent's read-only view with search by PaymentIntent id."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.ui import (
    ADMIN_PASSWORD,
    account,
    history_entry,
    order_number,
    paid_order,
    placed_order,
    product_card,
    sign_in,
    unique,
)
from tests.support.servers import ShopUnderTest

pytestmark = pytest.mark.e2e

TOAST_GONE_MS = 20_000  # toasts stay 6 s (errors 12 s); margin for a loaded machine


def test_admin_lands_on_the_dashboard_and_confirms_before_acting(
    shop: ShopUnderTest, page: Page
) -> None:
    teapot = unique("Teapot ")
    product = shop.create_product(name=teapot, price=1999, stock=9).json()
    paid_id, _ = paid_order(shop, product["id"], 2)
    unpaid_id, _ = placed_order(shop, product["id"], 1)
    admin = account(shop, "admin")

    sign_in(page, admin, ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"/admin$"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_test_id("stats-today-orders")).to_have_text("2")
    expect(page.get_by_test_id("stats-today-revenue")).to_have_text("€39.98")
    attention = page.get_by_test_id("attention-order")
    expect(attention.filter(has_text=f"Order #{order_number(paid_id)}")).to_contain_text(
        "Ready to ship"
    )
    expect(page.get_by_test_id("recent-order")).to_have_count(2)

    # A €0.00 price asks first; "Change the price" goes back to the field.
    free = unique("Sample ")
    page.get_by_role("link", name="Manage products").click()
    page.get_by_label("Name", exact=True).fill(free)
    page.get_by_label("Price", exact=True).fill("0")
    page.get_by_role("button", name="Create product").click()
    dialog = page.get_by_role("dialog", name="Sell this product for free?")
    expect(dialog).to_contain_text("€0.00")
    dialog.get_by_role("button", name="Change the price").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_label("Price", exact=True)).to_be_focused()
    page.get_by_role("button", name="Create product").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, it is free").click()
    toast = page.get_by_test_id("toast").filter(has_text=f"Created “{free}”.")
    expect(toast).to_be_visible()
    row = page.get_by_test_id("admin-product-row").filter(has_text=free)
    expect(row).to_contain_text("€0.00")
    expect(page.locator("main")).not_to_contain_text("Version")
    # ...and the toast goes away by itself.
    expect(toast).to_have_count(0, timeout=TOAST_GONE_MS)

    # Delete asks first: Escape keeps the product and gives focus back to the button.
    delete = row.get_by_role("button", name=f"Delete {free}")
    delete.click()
    dialog = page.get_by_role("dialog", name=f"Delete “{free}”?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Delete product")).to_be_focused()
    page.keyboard.press("Tab")  # focus stays in the dialog
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(delete).to_be_focused()
    expect(row).to_have_count(1)
    delete.click()
    page.get_by_role("dialog").get_by_role("button", name="Delete product").click()
    dismissible = page.get_by_test_id("toast").filter(has_text=f"Deleted “{free}”.")
    expect(dismissible).to_be_visible()
    expect(row).to_have_count(0)
    dismissible.get_by_role("button", name="Dismiss message").click()
    expect(dismissible).to_have_count(0)

    # Cancelling an unpaid order asks first.
    page.get_by_role("link", name="All orders", exact=True).click()
    page.get_by_role("link", name=f"Order #{order_number(unpaid_id)}").click()
    # The list stays on screen until the order's page has loaded: wait for its title first.
    expect(page.get_by_test_id("order-title")).to_contain_text(order_number(unpaid_id))
    expect(page.get_by_test_id("order-status")).to_have_text("Awaiting payment")
    page.get_by_role("button", name="Cancel order").click()
    dialog = page.get_by_role("dialog", name=f"Cancel Order #{order_number(unpaid_id)}?")
    dialog.get_by_role("button", name="Keep order").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Awaiting payment")
    page.get_by_role("button", name="Cancel order").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel order").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Cancelled")
    expect(page.get_by_test_id("toast")).to_contain_text(
        f"Order #{order_number(unpaid_id)} was cancelled."
    )

    # Refunds ask first; a long tracking note wraps inside the summary card.
    page.goto(f"/admin/orders/{paid_id}")
    page.get_by_label("Refund amount (EUR)").fill("5")
    page.get_by_role("button", name="Refund", exact=True).click()
    page.get_by_role("dialog", name="Refund €5.00?").get_by_role(
        "button", name="Refund €5.00"
    ).click()
    expect(page.get_by_test_id("toast")).to_contain_text("Refund of €5.00 sent to Stripe")
    # Stripe's answer counts at once: refunded, not pending (the emulator sends no webhook).
    expect(page.get_by_test_id("order-refunded")).to_contain_text("€5.00")
    expect(history_entry(page, "RefundRequested")).to_contain_text("Refund of €5.00 requested")
    note = "DHL-" + "1234567890" * 20
    page.get_by_label("Tracking note (optional)").fill(note)
    page.get_by_role("button", name="Mark as shipped").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Shipped")
    tracking = page.get_by_test_id("tracking-note")
    expect(tracking).to_have_text(note)
    fits = page.evaluate(
        """() => {
            const card = document.querySelector('[data-testid=tracking-note]').closest('.card');
            return card.scrollWidth <= card.clientWidth;
        }"""
    )
    assert fits, "the tracking note overflows the summary card"


def test_time_travel_shows_the_order_after_each_event(shop: ShopUnderTest, page: Page) -> None:
    teapot = unique("Teapot ")
    product = shop.create_product(name=teapot, price=499, stock=5).json()
    order_id, _ = paid_order(shop, product["id"], 3)
    fulfilled = shop.http.post(
        f"/orders/{order_id}/fulfil", json={"tracking_note": "DHL 9"}, headers=shop.admin()
    )
    assert fulfilled.status_code == 200, fulfilled.text
    admin = account(shop, "admin")
    sign_in(page, admin, ADMIN_PASSWORD)

    page.goto(f"/admin/orders/{order_id}")
    travel = page.get_by_test_id("time-travel")
    steps = 5  # placed, payment opened, Stripe's event, paid, fulfilled
    expect(page.get_by_test_id("history-entry")).to_have_count(steps)
    expect(travel.get_by_test_id("tt-step")).to_contain_text(f"Step {steps} of {steps}: Shipped")
    expect(travel.get_by_test_id("tt-status")).to_contain_text("Shipped")
    expect(travel.locator("[data-testid=tt-status] [data-changed=true]")).to_have_count(1)
    expect(travel.get_by_test_id("tt-changes")).to_have_text("Changed: status, tracking note.")

    travel.get_by_role("button", name="← Earlier").click()
    expect(travel.get_by_test_id("tt-step")).to_contain_text("Payment received")
    expect(travel.get_by_test_id("tt-status")).to_contain_text("Paid")
    expect(travel.get_by_test_id("tt-changes")).to_have_text("Changed: status.")

    # The slider goes straight to the first step: the order as placed, awaiting payment.
    slider = travel.get_by_test_id("tt-slider")
    slider.focus()
    page.keyboard.press("Home")
    expect(travel.get_by_test_id("tt-step")).to_contain_text(f"Step 1 of {steps}: Order placed")
    expect(travel.get_by_test_id("tt-status")).to_contain_text("Awaiting payment")
    expect(travel.get_by_test_id("tt-stock")).to_contain_text("Yes")
    expect(travel.get_by_test_id("tt-changes")).to_have_text("The order as placed.")
    expect(travel.get_by_role("list", name="Items at this step")).to_contain_text(
        f"{teapot}3 \u00d7 €4.99"
    )
    # The page itself still shows the order as it is now.
    expect(page.get_by_test_id("order-status")).to_have_text("Shipped")


def test_support_finds_an_order_by_payment_intent_and_reads_its_timeline(
    shop: ShopUnderTest, page: Page
) -> None:
    teapot = unique("Teapot ")
    product = shop.create_product(name=teapot, price=1999, stock=9).json()
    order_id, shopper = paid_order(shop, product["id"], 1)
    other_id, _ = paid_order(shop, product["id"], 2)
    intent = shop.http.get(f"/orders/{order_id}", headers=shopper).json()["payment_intent_id"]
    agent = account(shop, "support")

    sign_in(page, agent, ADMIN_PASSWORD)
    expect(page.get_by_test_id("current-role")).to_have_text("support")
    expect(page.get_by_role("link", name="Manage products")).to_have_count(0)
    page.get_by_role("link", name="All orders", exact=True).click()
    expect(page.get_by_test_id("order-row")).to_have_count(2)
    page.get_by_label("Find orders").fill(intent)
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page).to_have_url(re.compile(rf"q={intent}"))
    rows = page.get_by_test_id("order-row")
    expect(rows).to_have_count(1)
    expect(rows).to_have_attribute("data-order-id", order_id)
    page.get_by_label("Find orders").fill(order_number(other_id)[:6].lower())
    page.get_by_role("button", name="Find", exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows).to_have_attribute("data-order-id", other_id)

    page.goto(f"/admin/orders/{order_id}")
    payments = page.get_by_test_id("payment-row")
    expect(payments).to_have_count(2)
    expect(payments.nth(0)).to_have_attribute("data-source", "shop")
    expect(payments.nth(0)).to_contain_text("Payment opened at Stripe")
    expect(payments.nth(1)).to_have_attribute("data-source", "stripe")
    expect(payments.nth(1)).to_contain_text("Payment succeeded")
    expect(payments.nth(1)).to_contain_text("payment_intent.succeeded")
    expect(payments.nth(1)).to_have_attribute("data-duplicate", "false")
    expect(payments.nth(1)).to_contain_text("€19.99")
    # Staff can open an entry's technical detail (event type, Stripe ids).
    stripe_entry = history_entry(page, "StripeEventReceived")
    expect(stripe_entry).to_contain_text("Update from Stripe: payment succeeded")
    stripe_entry.get_by_text("Technical detail").click()
    expect(stripe_entry.locator("details")).to_contain_text("evt_")
    expect(page.get_by_text("Support view: read-only.")).to_be_visible()
    expect(page.get_by_role("heading", name="Actions")).to_have_count(0)


def test_catalog_search_sort_and_price_filter_live_in_the_url(
    shop: ShopUnderTest, page: Page
) -> None:
    tag = unique("z")
    for name, price in (("Green tea", 1200), ("Tea cosy", 899), ("Teapot", 2999), ("Kettle", 4550)):
        shop.create_product(name=f"{name} {tag}", description=f"batch {tag}", price=price, stock=4)

    page.goto("/")
    search = page.get_by_role("search").get_by_role("searchbox", name="Search products")
    search.fill(f"tea {tag}")
    search.press("Enter")
    expect(page.get_by_role("heading", name=f"Results for “tea {tag}”")).to_be_visible()
    expect(page.get_by_test_id("result-count")).to_have_text("3 results")

    page.get_by_label("Sort by").select_option("price_asc")
    expect(page).to_have_url(re.compile(r"sort=price_asc"))
    names = page.get_by_test_id("product-card").locator("h2")
    expect(names).to_have_text([f"Tea cosy {tag}", f"Green tea {tag}", f"Teapot {tag}"])

    page.get_by_label("Lowest price (EUR)").fill("10")
    page.get_by_label("Highest price (EUR)").fill("25")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"min_price=10&max_price=25|max_price=25.*min_price=10"))
    expect(names).to_have_text([f"Green tea {tag}"])

    # The state is the URL: a reload (or a shared link) shows the same results.
    page.reload()
    expect(names).to_have_text([f"Green tea {tag}"])
    expect(search).to_have_value(f"tea {tag}")
    page.get_by_role("link", name="Clear search").click()
    expect(page.get_by_test_id("result-count")).to_have_text("4 products")
    expect(product_card(page, f"Kettle {tag}")).to_be_visible()
