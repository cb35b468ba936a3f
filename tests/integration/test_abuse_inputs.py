"""Abuse at the HTTP surface, through the real gateway on both backends: bodies too large
(refused as they stream in, before parsing), control characters in credentials and names,
the one documented error model, the headers on every answer, and a repeated test payment."""

from __future__ import annotations

import time
from collections.abc import Iterator

from tests.support.servers import ShopUnderTest
from tests.support.shopping import add, checkout, new_product, person, place_order

MIB = 1024 * 1024


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_parsed(
    shop: ShopUnderTest,
) -> None:
    who = person(shop)
    big = b'{"product_id": "' + b"x" * (20 * MIB) + b'", "quantity": 1}'
    started = time.monotonic()
    declared = shop.http.post(
        "/cart", content=big, headers={**who.headers, "Content-Type": "application/json"}
    )
    assert declared.status_code == 413, declared.text
    assert "larger than 1048576 bytes" in declared.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(20):
            yield b" " * MIB

    streamed = shop.http.post(
        "/cart", content=chunks(), headers={**who.headers, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413, streamed.text
    assert streamed.json()["detail"].startswith("request body larger than")
    assert time.monotonic() - started < 30

    # The webhook's own, smaller limit: 600 KiB is refused before the signature is checked.
    webhook = shop.http.post(
        "/webhooks/stripe",
        content=b"{" + b" " * (600 * 1024) + b"}",
        headers={"Stripe-Signature": "t=1,v1=x"},
    )
    assert webhook.status_code == 413, webhook.text
    # Under the limit the request goes on (and is judged on its merits).
    assert add(shop, who, new_product(shop), 1).status_code == 201


def test_control_characters_are_422_alike_for_known_and_unknown_accounts(
    shop: ShopUnderTest,
) -> None:
    account = shop.register()
    answers = []
    for username in (account["username"], "nobody-" + account["username"]):
        answer = shop.http.post("/login", json={"username": username, "password": "s3cr3t\x00x"})
        assert answer.status_code == 422, answer.text
        answers.append(answer.json())
    assert answers[0] == answers[1]
    assert answers[0]["errors"][0]["field"] == "password"
    assert "s3cr3t" not in str(answers[0])  # the rejected value is never echoed

    for field, body in (
        ("password", {"username": "nul-user", "email": "n@example.com", "password": "x\x00" * 8}),
        ("username", {"username": "nul\x00user", "email": "n@example.com", "password": "p" * 10}),
    ):
        answer = shop.http.post("/register", json=body)
        assert answer.status_code == 422, answer.text
        assert [error["field"] for error in answer.json()["errors"]] == [field]

    admin = shop.admin()
    for fields in ({"name": "Tea\x00pot"}, {"description": "bad \x00 byte"}):
        body = {"name": "Teapot", "description": "", "price": 100, "stock": 1, **fields}
        answer = shop.http.post("/products", json=body, headers=admin)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == next(iter(fields))
    # Line breaks in a description are text, not control characters to refuse.
    ok = {"name": "Teapot", "description": "two\nlines", "price": 100, "stock": 1}
    assert shop.http.post("/products", json=ok, headers=admin).status_code == 201


def test_every_error_matches_the_one_documented_model(shop: ShopUnderTest) -> None:
    document = shop.http.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["ErrorOut"]["required"]) == {"detail"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400 and path != "/healthz":  # its 503 is the health report
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorOut"), (method, path, status)

    who = person(shop)
    statuses = shop.http.get("/orders", params={"status": "bogus"}, headers=who.headers)
    assert statuses.status_code == 422
    assert statuses.json()["errors"][0]["field"] == "status"
    assert isinstance(statuses.json()["detail"], str)

    product = new_product(shop, stock=2)
    too_many = add(shop, who, product, 3)
    empty = checkout(shop, person(shop))
    long_password = shop.http.post(
        "/register", json={"username": "longpw", "email": "l@example.com", "password": "é" * 40}
    )
    missing = shop.http.post("/cart", json={}, headers=who.headers)
    for answer in (too_many, empty, long_password, missing):
        assert answer.status_code == 422, answer.text
        body = answer.json()
        assert isinstance(body["detail"], str) and body["detail"], body
        assert isinstance(body["errors"], list), body
    assert long_password.json()["errors"][0]["field"] == "password"
    assert {error["field"] for error in missing.json()["errors"]} == {"product_id", "quantity"}


def test_api_json_is_never_cached_and_every_answer_has_security_headers(
    shop: ShopUnderTest,
) -> None:
    who = person(shop)
    answers = {
        "json": shop.http.get("/cart", headers=who.headers),
        "error": shop.http.get("/cart"),
        "page": shop.http.get("/cart", headers={"Accept": "text/html"}),
        "health": shop.http.get("/healthz"),
    }
    for kind, answer in answers.items():
        headers = answer.headers
        assert headers["X-Content-Type-Options"] == "nosniff", kind
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", kind
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp, kind
        assert "https://js.stripe.com" in csp, kind  # Stripe.js may still load
        if headers["content-type"].startswith("application/json"):
            assert headers["Cache-Control"] == "no-store", kind
            assert "Accept" in headers["Vary"], kind
    assert answers["json"].status_code == 200
    assert answers["error"].status_code == 401


def test_confirming_the_same_test_payment_twice_is_a_conflict(shop: ShopUnderTest) -> None:
    """Before the webhook marks the order paid (the order still says pending_payment)."""
    order = place_order(shop)
    answers = [
        shop.http.post(
            f"/dev/payments/{order.id}/confirm",
            json={"outcome": "success"},
            headers=order.owner.headers,
        )
        for _ in range(2)
    ]
    assert answers[0].status_code == 202, answers[0].text
    assert answers[1].status_code == 409, answers[1].text
    assert "already succeeded" in answers[1].json()["detail"]
