"""Rate limits through the real gateway (in memory on SQLite, in Redis on the services
backend): /login per client and per account, /register per client; 429 with Retry-After
and the JSON error body; the limit lifts when its window ends."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from infra.settings import Settings
from tests.support.servers import ShopUnderTest, start_shop
from tests.support.shopping import deliver, stripe_event

WINDOW = "3/10 seconds"  # a moving window: the 4th within 10 s is refused


@pytest.fixture
def limited(settings: Settings) -> Iterator[ShopUnderTest]:
    strict = settings.model_copy(
        update={
            "rate_limit_login": WINDOW,
            "rate_limit_login_account": WINDOW,
            "rate_limit_register": WINDOW,
            "trusted_proxy": True,  # so the test can speak for several clients
        }
    )
    with start_shop(strict, worker=False) as running:
        yield running


def login(shop: ShopUnderTest, username: str, client: str) -> httpx.Response:
    return shop.http.post(
        "/login",
        json={"username": username, "password": "wrong password"},
        # A forged first hop, then the address the trusted proxy appended (the one counted).
        headers={"X-Forwarded-For": f"10.9.9.9, {client}"},
    )


def assert_limited(answer: httpx.Response) -> float:
    assert answer.status_code == 429, answer.text
    retry_after = int(answer.headers["Retry-After"])
    assert 1 <= retry_after <= 10
    assert "too many requests" in answer.json()["detail"]
    return retry_after


def test_login_is_limited_per_client_and_per_account_and_resets(limited: ShopUnderTest) -> None:
    account = limited.register(password="correct horse")
    # Per account: three wrong guesses from three clients, the fourth from a fourth is refused.
    for n in range(3):
        assert login(limited, account["username"], f"192.0.2.{n}").status_code == 401
    blocked = login(limited, account["username"], "192.0.2.99")
    retry_after = assert_limited(blocked)
    # Even the right password waits: the limit is on attempts, not on failures.
    right = limited.http.post(
        "/login",
        json={"username": account["username"], "password": "correct horse"},
        headers={"X-Forwarded-For": "192.0.2.100"},
    )
    assert right.status_code == 429

    # Per client: one client guessing three unknown accounts is refused on the fourth.
    for n in range(3):
        assert login(limited, f"nobody{n}", "198.51.100.7").status_code == 401
    assert_limited(login(limited, "nobody-else", "198.51.100.7"))
    # ... while another client is not.
    assert login(limited, "nobody-else", "198.51.100.8").status_code == 401

    # The window ends: the account can sign in again (waiting for the clock, not a projection).
    deadline = time.monotonic() + retry_after + 10
    while True:
        answer = limited.http.post(
            "/login",
            json={"username": account["username"], "password": "correct horse"},
            headers={"X-Forwarded-For": "192.0.2.101"},
        )
        if answer.status_code != 429 or time.monotonic() > deadline:
            break
        time.sleep(float(answer.headers["Retry-After"]))
    assert answer.status_code == 200, answer.text


def test_register_is_limited_per_client(limited: ShopUnderTest) -> None:
    def register(client: str) -> httpx.Response:
        name = "r" + uuid.uuid4().hex[:10]
        return limited.http.post(
            "/register",
            json={"username": name, "email": f"{name}@example.com", "password": "long enough"},
            headers={"X-Forwarded-For": client},
        )

    for _ in range(3):
        assert register("203.0.113.5").status_code == 201
    assert_limited(register("203.0.113.5"))
    assert register("203.0.113.6").status_code == 201


def test_the_forwarded_address_counts_only_behind_a_trusted_proxy(settings: Settings) -> None:
    strict = settings.model_copy(update={"rate_limit_login": WINDOW})  # trusted_proxy: False
    with start_shop(strict, worker=False) as shop:
        for n in range(3):
            assert login(shop, f"nobody{n}", f"192.0.2.{n}").status_code == 401
        # A client cannot escape its limit by claiming other addresses.
        assert_limited(login(shop, "nobody3", "192.0.2.3"))


def test_only_failures_count_and_username_and_email_are_one_account(
    limited: ShopUnderTest,
) -> None:
    account = limited.register(password="correct horse")
    name = account["username"]
    # Signing in, however often, never locks the owner out.
    for n in range(6):
        right = limited.http.post(
            "/login",
            json={"username": name, "password": "correct horse"},
            headers={"X-Forwarded-For": f"192.0.2.{10 + n}"},
        )
        assert right.status_code == 200, right.text
    # Wrong guesses by username and by e-mail count against the same account.
    assert login(limited, name, "192.0.2.30").status_code == 401
    assert login(limited, f"{name}@example.com", "192.0.2.31").status_code == 401
    assert login(limited, name.upper(), "192.0.2.32").status_code == 401
    assert_limited(login(limited, f"{name}@EXAMPLE.com", "192.0.2.33"))


def test_signed_webhooks_are_not_limited_bad_signatures_are(settings: Settings) -> None:
    strict = settings.model_copy(update={"rate_limit_webhook": WINDOW})
    with start_shop(strict, worker=False) as shop:
        for _ in range(8):  # Stripe's burst from one address: all taken
            body = stripe_event("customer.created", {"id": "cus_1", "object": "customer"})
            assert deliver(shop, body).status_code == 200
        for _ in range(3):
            assert deliver(shop, b"{}", signature="t=1,v1=forged").status_code == 400
        assert_limited(deliver(shop, b"{}", signature="t=1,v1=forged"))
        body = stripe_event("customer.created", {"id": "cus_2", "object": "customer"})
        assert deliver(shop, body).status_code == 200  # signed: still taken
