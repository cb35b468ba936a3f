"""Helpers for the browser tests: pages, sign-in, shop data set up over the API, and the
checks every main page gets (axe-core, horizontal overflow, screenshots)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright._impl._api_structures import SetCookieParam
from playwright.sync_api import Browser, Locator, Page, expect

from infra.security import decode_token, issue_refresh_token
from tests.support.servers import ShopUnderTest, wait_for_order

ROOT = Path(__file__).resolve().parents[2]
INDEX_HTML = ROOT / "frontend" / "dist" / "index.html"
AXE_JS = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-results" / "screenshots"
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
PASSWORD = "correct horse"
ADMIN_PASSWORD = "admin password"
REFRESH_COOKIE = "shop_refresh"  # command_api/routers/auth.py
WEBHOOK_WAIT_MS = 30_000  # the emulator's webhook arrives about 1 s after a payment
LIVE_WAIT_MS = 10_000  # pages follow their order within about a second; margin for a loaded machine


@contextmanager
def new_page(
    browser: Browser, shop: ShopUnderTest, width: int = 1280, token: str | None = None
) -> Iterator[Page]:
    """A fresh context; with `token`, signed in from the first navigation (through a refresh
    cookie for the token's user: the storefront keeps access tokens in memory only)."""
    context = browser.new_context(
        base_url=shop.url,
        locale="en-US",
        timezone_id="UTC",
        viewport={"width": width, "height": 900},
    )
    context.set_default_timeout(15_000)
    if token:
        context.add_cookies([session_cookie(shop, token)])
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def session_cookie(shop: ShopUnderTest, token: str) -> SetCookieParam:
    """The refresh cookie /login would have set for the user of `token`."""
    user_id = decode_token(shop.settings, token).user_id
    refresh, _ = issue_refresh_token(shop.settings, user_id)
    return {
        "name": REFRESH_COOKIE,
        "value": refresh,
        "domain": "127.0.0.1",
        "path": "/auth/refresh",
        "httpOnly": True,
        "sameSite": "Strict",
    }


def unique(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:8]


# -- accounts ---------------------------------------------------------------------------------


def account(shop: ShopUnderTest, role: str, password: str = ADMIN_PASSWORD) -> str:
    name = unique(role[:4])
    shop.services.accounts.register(name, f"{name}@example.com", password, role=role)
    return name


def token_for(shop: ShopUnderTest, username: str, password: str) -> str:
    return shop.login(username, password)["Authorization"].removeprefix("Bearer ")


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("current-user")).to_contain_text(username)


# -- shop data over the API ------------------------------------------------------------------


def placed_order(shop: ShopUnderTest, product_id: str, quantity: int) -> tuple[str, dict[str, str]]:
    """A new shopper's unpaid order; returns its id and the shopper's auth header."""
    shopper = shop.shopper()
    added = shop.http.post(
        "/cart", json={"product_id": product_id, "quantity": quantity}, headers=shopper
    )
    assert added.status_code == 201, added.text
    placed = shop.http.post("/checkout", headers={**shopper, "Idempotency-Key": uuid.uuid4().hex})
    assert placed.status_code == 201, placed.text
    return str(placed.json()["order_id"]), shopper


def paid_order(shop: ShopUnderTest, product_id: str, quantity: int) -> tuple[str, dict[str, str]]:
    """A shopper's order, paid through the emulator; returns once Stripe's webhook made it paid."""
    order_id, shopper = placed_order(shop, product_id, quantity)
    confirmed = shop.http.post(
        f"/dev/payments/{order_id}/confirm", json={"outcome": "success"}, headers=shopper
    )
    assert confirmed.status_code == 202, confirmed.text
    wait_for_order(shop, order_id, {"paid"})
    return order_id, shopper


def check_out_in_browser(page: Page) -> str:
    """From the cart: Checkout, the review (a shop without shipping methods asks no
    address), Place order and pay; the order's id from the payment page's address."""
    page.get_by_role("button", name="Checkout").click()
    expect(page.get_by_test_id("checkout-step")).to_have_text("Review and pay")
    expect(page.get_by_test_id("figure-total")).to_be_visible()
    page.get_by_role("button", name="Place order and pay").click()
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}/pay$"))
    return page.url.rsplit("/", 2)[-2]


def order_number(order_id: str) -> str:
    """The order number the API sends (`number`) and the UI shows."""
    return order_id.replace("-", "")[:8].upper()


# -- page parts ------------------------------------------------------------------------------


def product_card(page: Page, name: str) -> Locator:
    return page.get_by_test_id("product-card").filter(
        has=page.get_by_role("link", name=name, exact=True)
    )


def history_entry(page: Page, event_type: str) -> Locator:
    return page.locator(f'[data-testid=history-entry][data-type="{event_type}"]')


# -- checks for every main page ---------------------------------------------------------------


def serious_axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it is now."""
    assert AXE_JS.exists(), f"{AXE_JS} is missing: run npm ci in frontend/ (make frontend does)"
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the shop's CSP (rightly) refuses inline
        # <script> tags, which add_script_tag would insert.
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const r = await window.axe.run(document, { resultTypes: ['violations'] });
            return r.violations
              .filter((v) => v.impact === 'serious' || v.impact === 'critical')
              .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                             nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
        }"""
    )
    return result


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    width: int = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return width


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
