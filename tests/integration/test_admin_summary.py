"""GET /admin/summary over real HTTP on both backends: today's and the last 30 days' orders
and revenue by status (the daily-sales view), orders needing attention, projection health
and recent orders; for admins and support only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.servers import ShopUnderTest
from tests.support.shopping import (
    deliver,
    dispute_object,
    pay,
    person,
    place_order,
    read_json,
    staff,
    stripe_event,
)


def test_summary_counts_today_and_names_what_needs_attention(shop: ShopUnderTest) -> None:
    alice = person(shop)
    paid = place_order(shop, owner=alice, price=1500, quantity=2)
    pay(shop, paid)
    refunded = place_order(shop, owner=alice, price=1000, quantity=1)
    pay(shop, refunded)
    pending = place_order(shop, owner=alice, price=700, quantity=1)
    admin, support = staff(shop, "admin"), staff(shop, "support")
    fulfil = shop.http.post(f"/orders/{refunded.id}/fulfil", json={}, headers=admin.headers)
    assert fulfil.status_code == 200, fulfil.text

    summary = read_json(shop, "/admin/summary", fulfil, admin)
    today = summary["today"]
    assert today["orders"] == 3
    assert today["by_status"] == {"paid": 1, "fulfilled": 1, "pending_payment": 1}
    assert today["revenue"] == [{"currency": "EUR", "amount": 3000 + 1000}]
    assert summary["last_30_days"] == today
    days = summary["daily"]
    assert len(days) == 30
    assert days[-1]["day"] == datetime.now(UTC).date().isoformat()
    assert days[0]["day"] == (datetime.now(UTC).date() - timedelta(days=29)).isoformat()
    assert (days[-1]["orders"], days[-1]["revenue"]) == (3, today["revenue"])
    assert all(day["orders"] == 0 for day in days[:-1])

    assert [o["id"] for o in summary["attention"]] == [paid.id]  # paid, ready to ship
    assert summary["attention"][0]["customer"]["email"].endswith("@example.com")
    assert [o["id"] for o in summary["recent"]] == [pending.id, refunded.id, paid.id]
    health = {p["name"]: p for p in summary["projections"]}
    assert {"catalog", "carts", "orders", "daily_sales", "access"} <= set(health)
    for name in ("orders", "daily_sales"):
        view = health[name]
        assert view["position"] >= int(fulfil.headers["X-Event-Position"])
        assert view["lag"] == view["head"] - view["position"] >= 0
        assert view["state"] in ("running", "catching up", "starting")

    # Support reads it too; shoppers and strangers do not.
    assert read_json(shop, "/admin/summary", fulfil, support)["today"]["orders"] == 3
    assert shop.http.get("/admin/summary", headers=alice.headers).status_code == 403
    assert shop.http.get("/admin/summary").status_code == 401


def test_a_paid_order_is_revenue_by_status(shop: ShopUnderTest) -> None:
    order = place_order(shop, price=2000, quantity=1)
    position = pay(shop, order)
    admin = staff(shop, "admin")
    summary = read_json(shop, "/admin/summary", position, admin)
    assert summary["today"]["revenue"] == [{"currency": "EUR", "amount": 2000}]
    assert summary["today"]["by_status"] == {"paid": 1}


def test_revenue_is_net_of_refunds_and_lost_disputes(shop: ShopUnderTest) -> None:
    order = place_order(shop, price=2000, quantity=1)
    pay(shop, order)
    lost = dispute_object(order, "dp_lost", "lost")
    closed = deliver(shop, stripe_event("charge.dispute.closed", lost))
    assert closed.status_code == 200, closed.text
    summary = read_json(shop, "/admin/summary", closed, staff(shop, "admin"))
    assert summary["today"]["revenue"] == [{"currency": "EUR", "amount": 0}]
