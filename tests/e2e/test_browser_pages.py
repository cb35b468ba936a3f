"""Every main page, as a shopper, an admin and a support agent would see it, at 1280, 768 and
390 px: no horizontal overflow, no serious or critical axe-core finding (at 1280 and 390), and
a screenshot of each at 1280 and 390 in test-results/screenshots/ (git-ignored). Keyboard:
the skip link, visible focus on everything Tab reaches."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

import pytest
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.ui import (
    ADMIN_PASSWORD,
    PASSWORD,
    account,
    horizontal_overflow,
    new_page,
    screenshot,
    serious_axe_violations,
    token_for,
    unique,
)
from tests.support.servers import ShopUnderTest, wait_for_order

pytestmark = pytest.mark.e2e

WIDTHS = (1280, 768, 390)
SCREENSHOT_WIDTHS = (1280, 390)
AXE_WIDTHS = (1280, 390)


@dataclass
class Visit:
    name: str
    path: str
    who: str  # "anonymous", "shopper", "admin" or "support"
    ready: str  # a heading that shows once the page has its data


def _shop_with_history(shop: ShopUnderTest) -> tuple[list[Visit], dict[str, str]]:
    tag = unique("")
    teapot = shop.create_product(
        name=f"Teapot {tag}", description="Short and stout, holds four cups.", price=1999, stock=5
    ).json()
    shop.create_product(
        name=f"An extraordinarily long product name that keeps going and going {tag}",
        description="Words " * 60,
        price=125000,
        stock=1,
    )
    shop.create_product(name=f"Tea cosy {tag}", description="Wool", price=899, stock=0)
    # A picture for the teapot (a wide one, and a tall one beside it): cards and the product
    # page show them, so the screenshots and axe see real images.
    for size, colour in (((1200, 800), (40, 110, 170)), ((600, 900), (190, 120, 40))):
        picture = io.BytesIO()
        Image.new("RGB", size, colour).save(picture, "PNG")
        uploaded = shop.http.post(
            f"/products/{teapot['id']}/images",
            files={"file": ("teapot.png", picture.getvalue(), "image/png")},
            headers=shop.admin(),
        )
        assert uploaded.status_code == 201, uploaded.text

    shopper = shop.register()
    auth = shop.login(shopper["username"], PASSWORD)

    def order(quantity: int) -> str:
        added = shop.http.post(
            "/cart", json={"product_id": teapot["id"], "quantity": quantity}, headers=auth
        )
        assert added.status_code == 201, added.text
        placed = shop.http.post("/checkout", headers={**auth, "Idempotency-Key": uuid.uuid4().hex})
        assert placed.status_code == 201, placed.text
        return str(placed.json()["order_id"])

    paid = order(2)
    confirmed = shop.http.post(
        f"/dev/payments/{paid}/confirm", json={"outcome": "success"}, headers=auth
    )
    assert confirmed.status_code == 202, confirmed.text
    wait_for_order(shop, paid, {"paid"})
    admin_auth = shop.admin()
    refund = shop.http.post(
        f"/orders/{paid}/refunds",
        json={"amount": 500},
        headers={**admin_auth, "Idempotency-Key": "pages-refund"},
    )
    assert refund.status_code == 202, refund.text
    note = "Parcel " + "1234567890" * 12
    fulfil = shop.http.post(
        f"/orders/{paid}/fulfil", json={"tracking_note": note}, headers=admin_auth
    )
    assert fulfil.status_code == 200, fulfil.text
    pending = order(1)
    added = shop.http.post("/cart", json={"product_id": teapot["id"], "quantity": 1}, headers=auth)
    assert added.status_code == 201, added.text

    admin = account(shop, "admin")
    agent = account(shop, "support")
    tokens = {
        "shopper": token_for(shop, shopper["username"], PASSWORD),
        "admin": token_for(shop, admin, ADMIN_PASSWORD),
        "support": token_for(shop, agent, ADMIN_PASSWORD),
    }
    visits = [
        Visit("home", "/", "anonymous", "Products"),
        Visit("search", f"/?q=tea+{tag}&sort=price_asc", "anonymous", f"Results for “tea {tag}”"),
        Visit("product", f"/products/{teapot['id']}", "anonymous", f"Teapot {tag}"),
        Visit("login", "/login", "anonymous", "Sign in"),
        Visit("register", "/register", "anonymous", "Create account"),
        Visit("cart", "/cart", "shopper", "Your cart"),
        Visit("checkout", "/checkout", "shopper", "Review and pay"),
        Visit("addresses", "/addresses", "shopper", "Your addresses"),
        Visit("pay", f"/orders/{pending}/pay", "shopper", "Payment"),
        Visit("my-orders", "/orders", "shopper", "My orders"),
        Visit("order", f"/orders/{paid}", "shopper", "What happened"),
        Visit("admin-home", "/admin", "admin", "Needs attention"),
        Visit("admin-products", "/admin/products", "admin", "Catalog"),
        Visit("admin-orders", "/admin/orders", "admin", "All orders"),
        Visit("admin-selling", "/admin/selling", "admin", "Discount codes"),
        Visit("support-selling", "/admin/selling", "support", "Tax rates"),
        Visit("admin-order", f"/admin/orders/{paid}", "admin", "Time travel"),
        Visit("support-order", f"/admin/orders/{paid}", "support", "Payment timeline"),
    ]
    return visits, tokens


def _wait_ready(page: Page, visit: Visit) -> None:
    expect(page.get_by_role("heading", name=visit.ready, exact=True)).to_be_visible()
    expect(page.locator(".loading")).to_have_count(0)


def test_main_pages_fit_every_width_and_pass_axe(browser: Browser, shop: ShopUnderTest) -> None:
    visits, tokens = _shop_with_history(shop)
    problems: list[str] = []
    for width in WIDTHS:
        for who in ("anonymous", "shopper", "admin", "support"):
            mine = [v for v in visits if v.who == who]
            with new_page(browser, shop, width=width, token=tokens.get(who)) as page:
                for visit in mine:
                    page.goto(visit.path)
                    _wait_ready(page, visit)
                    over = horizontal_overflow(page)
                    if over > 0:
                        problems.append(
                            f"{visit.name} at {width}px: {over}px wider than the screen"
                        )
                    if width in AXE_WIDTHS:
                        for v in serious_axe_violations(page):
                            problems.append(f"{visit.name} at {width}px: axe {v}")
                    if width in SCREENSHOT_WIDTHS:
                        screenshot(page, f"{visit.name}-{width}.png")
    assert not problems, "\n".join(problems)


def test_phone_home_page_is_a_compact_list(browser: Browser, shop: ShopUnderTest) -> None:
    for i in range(6):
        shop.create_product(name=f"Item {i}", description="A thing " * 20, price=100 + i, stock=3)
    with new_page(browser, shop, width=390) as page:
        page.goto("/")
        cards = page.get_by_test_id("product-card")
        expect(cards).to_have_count(6)
        heights = [cards.nth(i).bounding_box()["height"] for i in range(6)]  # type: ignore[index]
        assert max(heights) < 130, heights  # one row per product, description hidden
        total = page.evaluate("() => document.documentElement.scrollHeight")
        assert total < 1400, total


def _focus_is_visible(focused: Locator) -> bool:
    style: dict[str, str] = focused.evaluate(
        "el => { const s = getComputedStyle(el); return {o: s.outlineStyle, w: s.outlineWidth}; }"
    )
    return style["o"] != "none" and style["w"] not in ("0px", "")


def test_keyboard_reaches_the_shop_with_visible_focus(
    browser: Browser, shop: ShopUnderTest
) -> None:
    teapot = unique("Teapot ")
    shop.create_product(name=teapot, description="Short and stout", price=1999, stock=5)
    with new_page(browser, shop) as page:
        page.goto("/")
        expect(page.get_by_test_id("product-card")).to_have_count(1)
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_be_focused()

        # Tab on to the product's link, every stop visibly focused; Enter opens it.
        target = page.get_by_role("link", name=teapot, exact=True)
        for _ in range(30):
            page.keyboard.press("Tab")
            focused = page.locator(":focus")
            assert _focus_is_visible(focused), focused.evaluate("el => el.outerHTML")
            if focused.evaluate("el => el.textContent") == teapot:
                break
        expect(target).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name=teapot)).to_be_visible()
        expect(page.locator("main")).to_be_focused()  # the clicked link is gone: focus starts here
        page.keyboard.press("Tab")
        assert _focus_is_visible(page.locator(":focus"))
