"""Order search and time travel over real HTTP on both backends: by order number,
PaymentIntent id and (staff) customer username or email; status and date filters; sorts;
the customer, number, holds_stock and history source fields; GET /orders/{id}?version=N."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from tests.support.servers import ShopUnderTest
from tests.support.shopping import (
    Person,
    pay,
    person,
    place_order,
    read_json,
    staff,
    store_position,
)


def ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


def account_of(shop: ShopUnderTest, who: Person) -> Any:
    found = shop.services.accounts.get(UUID(who.id))
    assert found is not None
    return found


def get(shop: ShopUnderTest, path: str, who: Person, after: int) -> Any:
    return shop.read(path, after=after, headers=who.headers)


def test_search_by_number_payment_intent_and_customer(shop: ShopUnderTest) -> None:
    alice, bob = person(shop), person(shop)
    cheap = place_order(shop, owner=alice, price=500, quantity=1)
    dear = place_order(shop, owner=alice, price=9000, quantity=1)
    bobs = place_order(shop, owner=bob, price=2000, quantity=1)
    now = store_position(shop)
    admin, support = staff(shop, "admin"), staff(shop, "support")
    alice_account = account_of(shop, alice)

    number = cheap.id.replace("-", "")[:8].upper()
    by_number = read_json(shop, f"/orders?q=%23{number}", now, admin)
    assert ids(by_number) == [cheap.id]
    assert by_number["items"][0]["number"] == number
    assert ids(read_json(shop, f"/orders?q={number[:5].lower()}", now, admin)) == [cheap.id]
    assert ids(read_json(shop, f"/orders?q={dear.id}", now, alice)) == [dear.id]
    by_intent = read_json(shop, f"/orders?q={bobs.payment_intent_id}", now, support)
    assert ids(by_intent) == [bobs.id]

    # Staff find a customer's orders by email or username, and see who the customer is.
    by_email = read_json(shop, f"/orders?q={alice_account.email.upper()}", now, support)
    assert ids(by_email) == [dear.id, cheap.id]
    customer = by_email["items"][0]["customer"]
    assert customer == {"username": alice_account.username, "email": alice_account.email}
    by_name = read_json(shop, f"/orders?q={alice_account.username[2:]}", now, admin)
    assert set(ids(by_name)) == {cheap.id, dear.id}
    # Shoppers: their own orders only, no customer field, no search of other customers.
    own = read_json(shop, "/orders", now, alice)
    assert all(item["customer"] is None for item in own["items"])
    assert ids(read_json(shop, f"/orders?q={bobs.payment_intent_id}", now, alice)) == []
    assert ids(read_json(shop, f"/orders?q={alice_account.email}", now, bob)) == []
    assert read_json(shop, "/orders?q=%25", now, admin)["total"] == 0  # no wildcard


def test_filters_and_sorts(shop: ShopUnderTest) -> None:
    alice = person(shop)
    cheap = place_order(shop, owner=alice, price=500, quantity=1)
    dear = place_order(shop, owner=alice, price=9000, quantity=1)
    middle = place_order(shop, owner=alice, price=2000, quantity=1)
    now = pay(shop, middle)
    admin = staff(shop, "admin")

    assert ids(read_json(shop, "/orders?sort=oldest", now, alice)) == [cheap.id, dear.id, middle.id]
    assert ids(read_json(shop, "/orders", now, alice)) == [middle.id, dear.id, cheap.id]
    assert ids(read_json(shop, "/orders?sort=total_desc", now, alice)) == [
        dear.id,
        middle.id,
        cheap.id,
    ]
    assert ids(read_json(shop, "/orders?sort=total_asc&limit=1&offset=1", now, alice)) == [
        middle.id
    ]
    assert ids(read_json(shop, "/orders?status=paid", now, admin)) == [middle.id]
    today = datetime.now(UTC).date()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    assert read_json(shop, f"/orders?from={today}&to={today}", now, alice)["total"] == 3
    assert read_json(shop, f"/orders?from={tomorrow}", now, alice)["total"] == 0
    assert read_json(shop, f"/orders?to={yesterday}", now, alice)["total"] == 0
    for query in (
        "sort=cheapest",
        "status=lost",
        "from=2026-13-01",
        "to=yesterday",
        f"from={tomorrow}&to={today}",
        "q=" + "x" * 201,
    ):
        answer = get(shop, f"/orders?{query}", alice, now)
        assert answer.status_code == 422, (query, answer.text)
        assert "detail" in answer.json()


def test_version_time_travel_holds_stock_and_sources(shop: ShopUnderTest) -> None:
    alice, bob = person(shop), person(shop)
    order = place_order(shop, owner=alice)
    now = pay(shop, order, outcome="decline")
    support = staff(shop, "support")
    history = read_json(shop, f"/orders/{order.id}/history", now, alice)["items"]
    types = [entry["type"] for entry in history]
    assert types[:2] == ["OrderPlaced", "PaymentIntentCreated"]
    sources = {entry["type"]: entry["source"] for entry in history}
    assert sources["OrderPlaced"] == sources["PaymentIntentCreated"] == "shop"
    assert sources["StripeEventReceived"] == sources["PaymentFailed"] == "stripe"

    current = read_json(shop, f"/orders/{order.id}", now, alice)
    # Declined, still payable: it keeps its units until it is paid or cancelled.
    assert (current["status"], current["holds_stock"]) == ("payment_failed", True)
    assert current["version"] == len(history)
    first = read_json(shop, f"/orders/{order.id}?version=1", now, alice)
    assert (first["version"], first["status"], first["holds_stock"]) == (
        1,
        "pending_payment",
        True,
    )
    assert first["payment_intent_id"] is None and first["number"] == current["number"]
    second = read_json(shop, f"/orders/{order.id}?version=2", now, support)
    assert second["payment_intent_id"] == current["payment_intent_id"]
    assert second["customer"]["email"] == account_of(shop, alice).email
    for version in range(1, len(history) + 1):
        state = read_json(shop, f"/orders/{order.id}?version={version}", now, alice)
        assert state["version"] == version

    beyond = get(shop, f"/orders/{order.id}?version={len(history) + 1}", alice, now)
    assert beyond.status_code == 404, beyond.text
    assert get(shop, f"/orders/{order.id}?version=1", bob, now).status_code == 404
    for query in ("version=0", "version=x", "version=1&as_of=2020-01-01T00:00:00Z"):
        answer = get(shop, f"/orders/{order.id}?{query}", alice, now)
        assert answer.status_code == 422, (query, answer.text)
