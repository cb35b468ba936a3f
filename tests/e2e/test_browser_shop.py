"""The storefront and admin dashboard in a real browser (Debian's chromium, driven by
Playwright) against the real shop: gateway under uvicorn, projection worker, and the Stripe
emulator, which confirms payments through its real webhooks.

Only the SQLite backend: what the browser sees does not depend on the stores, and the
integration suite covers both backends. Waits are Playwright's own (`expect` retries until the
page shows the text); nothing here sleeps.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from tests.support.servers import ShopUnderTest, wait_for_order

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
INDEX_HTML = ROOT / "frontend" / "dist" / "index.html"
RESULTS = ROOT / "test-results"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PASSWORD = "correct horse"
ADMIN_PASSWORD = "admin password"
WEBHOOK_WAIT_MS = 30_000  # the pages poll until Stripe's webhook has been applied


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """Overrides tests/conftest.py: browser tests run on the embedded backend only."""
    return str(request.param)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not INDEX_HTML.exists():
        pytest.fail(
            f"{INDEX_HTML.relative_to(ROOT)} is missing: run make frontend "
            "(the Makefile builds it before pytest)",
            pytrace=False,
        )
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium, or make browser)"
        if IN_CI:
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, shop: ShopUnderTest) -> Iterator[Page]:
    """A fresh browser context per test (empty localStorage: nobody is signed in)."""
    context = browser.new_context(
        base_url=shop.url,
        locale="en-US",
        timezone_id="UTC",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def screenshot(page: Page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / name), full_page=True)


# -- helpers ----------------------------------------------------------------------------------


def unique(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:8]


def register_in_ui(page: Page, username: str) -> None:
    page.goto("/")
    page.get_by_role("link", name="Register").click()
    expect(page.get_by_role("heading", name="Create account")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_test_id("current-user")).to_contain_text(username)


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("current-user")).to_contain_text(username)


def product_card(page: Page, name: str) -> Locator:
    return page.get_by_test_id("product-card").filter(
        has=page.get_by_role("heading", name=name, exact=True)
    )


def add_to_cart_in_ui(page: Page, name: str, quantity: int) -> None:
    page.get_by_role("link", name="Products", exact=True).click()
    card = product_card(page, name)
    card.get_by_label("Quantity").fill(str(quantity))
    card.get_by_role("button", name="Add to cart").click()
    expect(card.get_by_role("status")).to_contain_text(f"Added {quantity} \u00d7 {name}")


def check_out_in_ui(page: Page) -> str:
    """From the cart to the payment page; returns the order id."""
    page.get_by_role("link", name="Cart", exact=True).click()
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    page.get_by_role("button", name="Checkout").click()
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}/pay$"))
    expect(page.get_by_test_id("order-status")).to_have_text("pending_payment")
    return page.url.rsplit("/", 2)[-2]


def history_types(page: Page) -> list[str]:
    entries = page.get_by_test_id("history-entry")
    return [entries.nth(i).get_attribute("data-type") or "" for i in range(entries.count())]


def paid_order(shop: ShopUnderTest, product_id: str, quantity: int) -> str:
    """A shopper's order, placed and paid over the API; returns its id once Stripe's webhook
    has made it paid."""
    shopper = shop.shopper()
    added = shop.http.post(
        "/cart", json={"product_id": product_id, "quantity": quantity}, headers=shopper
    )
    assert added.status_code == 201, added.text
    placed = shop.http.post("/checkout", headers={**shopper, "Idempotency-Key": uuid.uuid4().hex})
    assert placed.status_code == 201, placed.text
    order_id = str(placed.json()["order_id"])
    confirmed = shop.http.post(
        f"/dev/payments/{order_id}/confirm", json={"outcome": "success"}, headers=shopper
    )
    assert confirmed.status_code == 202, confirmed.text
    wait_for_order(shop, order_id, {"paid"})
    return order_id


def admin_account(shop: ShopUnderTest) -> str:
    name = unique("boss")
    shop.services.accounts.register(name, f"{name}@example.com", ADMIN_PASSWORD, role="admin")
    return name


# -- scenarios --------------------------------------------------------------------------------


def test_shopper_registers_buys_and_pays(shop: ShopUnderTest, page: Page) -> None:
    teapot = unique("Teapot ")
    kettle = unique("Kettle ")
    shop.create_product(name=teapot, description="Short and stout", price=1999, stock=5)
    shop.create_product(name=kettle, description="Whistles", price=4550, stock=2)

    shopper = unique("ann")
    register_in_ui(page, shopper)
    expect(page.get_by_test_id("current-role")).to_have_text("shopper")
    # Out and in again through the sign-in page.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    sign_in(page, shopper)

    page.get_by_role("link", name="Products", exact=True).click()
    card = product_card(page, teapot)
    expect(card.get_by_test_id("product-price")).to_have_text("€19.99")
    expect(card.get_by_test_id("product-stock")).to_have_text("5 in stock")
    expect(product_card(page, kettle).get_by_test_id("product-price")).to_have_text("€45.50")
    expect(page.get_by_role("link", name="Manage products")).to_have_count(0)
    screenshot(page, "storefront.png")

    add_to_cart_in_ui(page, teapot, 2)
    page.get_by_role("link", name="Cart", exact=True).click()
    line = page.get_by_test_id("cart-line")
    expect(line).to_have_count(1)
    expect(line).to_contain_text(teapot)
    expect(line.get_by_test_id("cart-line-quantity")).to_have_text("2")
    expect(page.get_by_test_id("cart-total")).to_have_text("€39.98")

    order_id = check_out_in_ui(page)
    expect(page.get_by_test_id("amount-due")).to_have_text("€39.98")
    page.get_by_role("button", name="Pay with test card").click()
    expect(page.get_by_test_id("order-status")).to_have_text("paid", timeout=WEBHOOK_WAIT_MS)
    expect(page.get_by_text("Payment received")).to_be_visible()

    # The reservation took the stock; the cart was emptied by the checkout.
    page.get_by_role("link", name="Products", exact=True).click()
    expect(product_card(page, teapot).get_by_test_id("product-stock")).to_have_text("3 in stock")
    page.get_by_role("link", name="Cart", exact=True).click()
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()

    page.get_by_role("link", name="My orders").click()
    row = page.get_by_test_id("order-row")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-order-id", order_id)
    expect(row.get_by_test_id("order-status")).to_have_text("paid")
    row.get_by_role("link", name=f"Order {order_id}").click()

    expect(page).to_have_url(re.compile(rf"/orders/{order_id}$"))
    expect(page.get_by_test_id("order-status")).to_have_text("paid")
    expect(page.get_by_test_id("order-total")).to_have_text("€39.98")
    expect(page.get_by_test_id("order-line")).to_contain_text(teapot)
    entries = page.get_by_test_id("history-entry")
    expect(entries.first).to_have_attribute("data-type", "OrderPlaced")
    expect(entries.first).to_contain_text("by you")
    expect(
        page.locator('[data-testid=history-entry][data-type="PaymentSucceeded"]')
    ).to_contain_text("by Stripe")
    assert history_types(page)[:2] == ["OrderPlaced", "PaymentIntentCreated"]
    # Shoppers see no staff-only payment timeline and no admin actions.
    expect(page.get_by_role("heading", name="Payment timeline")).to_have_count(0)
    expect(page.get_by_role("heading", name="Actions")).to_have_count(0)


def test_declined_card_shows_payment_failed(shop: ShopUnderTest, page: Page) -> None:
    mug = unique("Mug ")
    shop.create_product(name=mug, description="Chipped", price=500, stock=3)
    shopper = shop.register()
    sign_in(page, shopper["username"])

    add_to_cart_in_ui(page, mug, 1)
    order_id = check_out_in_ui(page)
    page.get_by_role("button", name="Simulate declined card").click()
    expect(page.get_by_test_id("order-status")).to_have_text(
        "payment_failed", timeout=WEBHOOK_WAIT_MS
    )
    expect(page.get_by_role("alert")).to_contain_text("The card was declined")
    expect(page.get_by_role("button", name="Pay with test card")).to_have_count(0)

    page.get_by_role("link", name="View order").click()
    expect(page).to_have_url(re.compile(rf"/orders/{order_id}$"))
    expect(page.get_by_test_id("order-status")).to_have_text("payment_failed")
    expect(page.locator('[data-testid=history-entry][data-type="PaymentFailed"]')).to_contain_text(
        "declined"
    )
    # A failed payment gives the reserved stock back.
    expect(
        page.locator('[data-testid=history-entry][data-type="ReservationReleased"]')
    ).to_be_visible()
    page.get_by_role("link", name="Products", exact=True).click()
    expect(product_card(page, mug).get_by_test_id("product-stock")).to_have_text("3 in stock")


def test_admin_manages_products_and_refunds_part_of_an_order(
    shop: ShopUnderTest, page: Page
) -> None:
    teapot = unique("Teapot ")
    product = shop.create_product(name=teapot, price=1999, stock=5).json()
    order_id = paid_order(shop, product["id"], 2)
    admin = admin_account(shop)

    sign_in(page, admin, ADMIN_PASSWORD)
    expect(page.get_by_test_id("current-role")).to_have_text("admin")

    # Create a product in the dashboard, then change its price.
    jug = unique("Milk jug ")
    page.get_by_role("link", name="Manage products").click()
    expect(page.get_by_role("heading", name="New product")).to_be_visible()
    page.get_by_label("Name").fill(jug)
    page.get_by_label("Description").fill("Holds a pint")
    page.get_by_label("Price").fill("12.50")
    page.get_by_label("Stock").fill("7")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("status")).to_contain_text(f"Created “{jug}”")
    row = page.get_by_test_id("admin-product-row").filter(has_text=jug)
    expect(row).to_contain_text("€12.50")

    row.get_by_role("button", name=f"Edit {jug}").click()
    expect(page.get_by_role("heading", name=f"Edit “{jug}”")).to_be_visible()
    expect(page.get_by_label("Price")).to_have_value("12.50")
    page.get_by_label("Price").fill("14.00")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text(f"Saved “{jug}”")
    expect(row).to_contain_text("€14.00")
    expect(row.locator("td[data-label=Version]")).to_have_text("2")
    # The storefront shows the new price.
    page.get_by_role("link", name="Products", exact=True).click()
    expect(product_card(page, jug).get_by_test_id("product-price")).to_have_text("€14.00")

    # The paid order: full history and the payment timeline.
    page.get_by_role("link", name="All orders").click()
    page.get_by_role("link", name=f"Order {order_id}").click()
    expect(page).to_have_url(re.compile(rf"/admin/orders/{order_id}$"))
    expect(page.get_by_test_id("order-status")).to_have_text("paid")
    expect(page.get_by_test_id("order-total")).to_have_text("€39.98")
    expect(page.get_by_test_id("history-entry")).to_have_count(4)
    assert history_types(page) == [
        "OrderPlaced",
        "PaymentIntentCreated",
        "StripeEventReceived",
        "PaymentSucceeded",
    ]
    expect(page.get_by_test_id("history-entry").first).to_contain_text("by the customer")
    payments = page.get_by_test_id("payment-row")
    expect(payments).to_have_count(2)
    expect(payments.nth(0)).to_have_attribute("data-source", "shop")
    expect(payments.nth(0)).to_contain_text("PaymentIntentCreated")
    expect(payments.nth(1)).to_have_attribute("data-source", "stripe")
    expect(payments.nth(1)).to_contain_text("payment_intent.succeeded")
    expect(payments.nth(1)).to_contain_text("€39.98")
    screenshot(page, "admin-order.png")

    # Refund part of it: accepted and sent to Stripe; the order itself changes only when
    # Stripe's refund webhook arrives (the emulator never sends one).
    page.get_by_label("Refund amount (EUR)").fill("5.00")
    page.get_by_role("button", name="Refund").click()
    expect(page.get_by_role("status").filter(has_text="Refund of €5.00")).to_contain_text(
        "sent to Stripe"
    )
    requested = page.locator('[data-testid=history-entry][data-type="RefundRequested"]')
    expect(requested).to_contain_text("Refund of 5.00 EUR requested")
    expect(requested).to_contain_text("by you")
    expect(
        page.locator('[data-testid=history-entry][data-type="RefundSubmitted"]')
    ).to_contain_text("Refund sent to Stripe")
    expect(payments).to_have_count(4)
    expect(payments.filter(has_text="RefundRequested")).to_contain_text("€5.00")
    expect(page.get_by_test_id("order-status")).to_have_text("paid")
    # The amount is reserved at once: at most the rest can still be refunded.
    expect(page.get_by_test_id("order-refund-pending")).to_have_text("€5.00")
    expect(page.get_by_text("Up to €34.98.")).to_be_visible()
    # The actions are free again at once: the page does not hold them while it keeps
    # looking for the webhook's effect in the background.
    expect(page.get_by_role("button", name="Mark as fulfilled")).to_be_enabled(timeout=3_000)

    state = shop.http.get(f"/orders/{order_id}", headers=shop.login(admin, ADMIN_PASSWORD))
    assert state.status_code == 200, state.text
    assert (state.json()["status"], state.json()["amount_refunded"]) == ("paid", 0)


def test_shopper_cannot_open_admin_pages(shop: ShopUnderTest, page: Page) -> None:
    shopper = shop.register()
    sign_in(page, shopper["username"])
    expect(page.get_by_role("link", name="Manage products")).to_have_count(0)
    expect(page.get_by_role("link", name="All orders")).to_have_count(0)

    for path in ("/admin/products", "/admin/orders"):
        page.goto(path)
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text(
            f"You are signed in as {shopper['username']} (shopper)"
        )
    expect(page.get_by_role("button", name="Create product")).to_have_count(0)

    # Signed out, the admin page sends the browser to the sign-in page instead.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    page.goto("/admin/products")
    expect(page).to_have_url(re.compile(r"/login$"))
    # And the API agrees with the page: a shopper's token is refused.
    refused = shop.http.post(
        "/products",
        json={"name": "Nope", "description": "", "price": 1, "stock": 1},
        headers=shop.login(shopper["username"]),
    )
    assert refused.status_code == 403
