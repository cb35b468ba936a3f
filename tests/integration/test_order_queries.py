"""The order read side: lists by role, single orders, full histories, payment timelines and an
order as it stood at a moment in the past."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

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


def ids(page: dict[str, object]) -> list[str]:
    items = page["items"]
    assert isinstance(items, list)
    return [item["id"] for item in items]


def test_lists_show_mine_to_shoppers_and_all_to_staff(shop: ShopUnderTest) -> None:
    alice, bob = person(shop), person(shop)
    first = place_order(shop, owner=alice)
    second = place_order(shop, owner=alice)
    bobs = place_order(shop, owner=bob)
    cancelled = shop.http.post(f"/orders/{first.id}/cancel", headers=alice.headers)
    assert cancelled.status_code == 200, cancelled.text
    now = store_position(shop)
    admin, support = staff(shop, "admin"), staff(shop, "support")

    mine = read_json(shop, "/orders", now, alice)
    assert mine["total"] == 2 and set(ids(mine)) == {first.id, second.id}
    assert {item["user_id"] for item in mine["items"]} == {alice.id}
    assert ids(read_json(shop, "/orders", now, bob)) == [bobs.id]
    newest_first = [bobs.id, second.id, first.id]
    for who in (admin, support):
        everything = read_json(shop, "/orders", now, who)
        assert (everything["total"], ids(everything)) == (3, newest_first)

    def listed(who: Person, query: str) -> dict[str, object]:
        return read_json(shop, f"/orders?{query}", now, who)

    assert ids(listed(admin, "status=cancelled")) == [first.id]
    assert listed(admin, "status=pending_payment")["total"] == 2
    assert ids(listed(alice, "status=pending_payment")) == [second.id]
    assert listed(bob, "status=cancelled")["total"] == 0
    assert listed(support, "status=paid")["items"] == []

    page_one = listed(admin, "limit=2&offset=0")
    page_two = listed(admin, "limit=2&offset=2")
    assert (page_one["total"], page_one["limit"], page_one["offset"]) == (3, 2, 0)
    assert (page_two["total"], page_two["offset"]) == (3, 2)
    assert ids(page_one) + ids(page_two) == newest_first
    assert listed(admin, "limit=2&offset=3")["items"] == []

    for query in ("status=shipped", "status=", "limit=0", "limit=101", "offset=-1", "limit=x"):
        answer = shop.http.get(f"/orders?{query}", headers=admin.headers)
        assert answer.status_code == 422, (query, answer.text)
    assert shop.http.get("/orders").status_code == 401


def test_an_order_is_visible_to_its_owner_and_staff_only(shop: ShopUnderTest) -> None:
    order = place_order(shop)
    at = order.response
    bob = person(shop)
    admin, support = staff(shop, "admin"), staff(shop, "support")

    for who in (order.owner, admin, support):
        seen = read_json(shop, f"/orders/{order.id}", at, who)
        assert (seen["id"], seen["user_id"]) == (order.id, order.owner.id)
        assert (seen["total"], seen["currency"], seen["amount_refunded"]) == (3998, "EUR", 0)
        assert seen["payment_intent_id"] == order.payment_intent_id
        assert read_json(shop, f"/orders/{order.id}/history", at, who)["items"]
    for path in ("", "/history", "/payments"):
        hidden = shop.read(f"/orders/{order.id}{path}", after=at, headers=bob.headers)
        assert hidden.status_code == (403 if path == "/payments" else 404), (path, hidden.text)
        missing = shop.read(f"/orders/{uuid.uuid4()}{path}", after=at, headers=admin.headers)
        assert missing.status_code == 404, (path, missing.text)
        assert shop.http.get(f"/orders/{order.id}{path}").status_code == 401

    # The payment timeline is for staff: even the owner gets 403.
    own = shop.read(f"/orders/{order.id}/payments", after=at, headers=order.owner.headers)
    assert own.status_code == 403, own.text
    for who in (admin, support):
        timeline = read_json(shop, f"/orders/{order.id}/payments", at, who)["items"]
        assert [(e["source"], e["type"], e["ref"]) for e in timeline] == [
            ("shop", "PaymentIntentCreated", order.payment_intent_id)
        ]
        assert timeline[0]["amount"] == 3998 and timeline[0]["duplicate"] is False


def test_history_and_the_order_as_it_stood(shop: ShopUnderTest) -> None:
    order = place_order(shop, price=1999, quantity=2)
    paid_at = pay(shop, order)
    owner = order.owner

    entries = read_json(shop, f"/orders/{order.id}/history", paid_at, owner)["items"]
    assert [e["version"] for e in entries] == list(range(1, len(entries) + 1))
    assert [e["type"] for e in entries] == [
        "OrderPlaced",
        "PaymentIntentCreated",
        "StripeEventReceived",
        "PaymentSucceeded",
    ]
    assert [e["actor"] for e in entries] == [owner.id, owner.id, "stripe", "stripe"]
    times = [datetime.fromisoformat(e["at"]) for e in entries]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)
    summaries = [e["summary"] for e in entries]
    assert "2 item(s), total 39.98 EUR" in summaries[0]
    assert order.payment_intent_id in summaries[1]
    assert "payment_intent.succeeded" in summaries[2]
    assert "39.98 EUR" in summaries[3]
    assert entries[2]["data"]["stripe_object_id"] == order.payment_intent_id
    assert entries[0]["data"]["total"] == 3998

    def as_of(moment: datetime) -> tuple[int, dict[str, object]]:
        answer = shop.read(
            f"/orders/{order.id}", after=paid_at, headers=owner.headers, params={"as_of": moment}
        )
        return answer.status_code, answer.json()

    placed, succeeded = times[0], times[3]
    assert succeeded - placed > timedelta(milliseconds=100)  # the webhook comes later
    code, then = as_of(placed + (succeeded - placed) / 2)
    assert code == 200, then
    assert (then["status"], then["version"]) == ("pending_payment", 2)
    assert then["payment_intent_id"] == order.payment_intent_id
    code, now = as_of(succeeded + timedelta(seconds=1))
    assert (code, now["status"], now["version"]) == (200, "paid", 4)
    assert read_json(shop, f"/orders/{order.id}", paid_at, owner)["status"] == "paid"
    code, before = as_of(placed - timedelta(seconds=1))
    assert code == 404, before
    code, naive = as_of((placed + (succeeded - placed) / 2).replace(tzinfo=None))
    assert (code, naive["status"]) == (200, "pending_payment")  # a time without zone is UTC
    bad = shop.http.get(f"/orders/{order.id}?as_of=yesterday", headers=owner.headers)
    assert bad.status_code == 422, bad.text
