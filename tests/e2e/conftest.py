"""Browser fixtures: Debian's chromium driven by Playwright, one fresh context per test.

Only the SQLite backend: what the browser sees does not depend on the stores, and the
integration suite covers both backends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.ui import CHROMIUM, CHROMIUM_ARGS, INDEX_HTML, ROOT, new_page
from tests.support.servers import ShopUnderTest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """Overrides tests/conftest.py: browser tests run on the embedded backend only."""
    return str(request.param)


# Module scope, not session: Playwright's sync API keeps an asyncio loop running while it is
# open, and a test of another module run later on the same xdist worker (asyncio.run) would
# find it. pytest tears a module's fixtures down before the next module's tests.
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
    """A fresh browser context (nobody signed in) at 1280 px; fails on uncaught page errors."""
    with new_page(browser, shop) as opened:
        yield opened
