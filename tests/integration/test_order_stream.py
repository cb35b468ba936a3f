"""GET /orders/{id}/stream over real HTTP on both backends: server-sent events with the order
at once and after each change (a webhook, a fulfilment), authorised like GET /orders/{id}."""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tests.support.servers import ShopUnderTest
from tests.support.shopping import Person, person, place_order, staff

EVENT_WAIT = 20.0  # seconds: a change reaches the stream within about a second


@contextmanager
def follow(shop: ShopUnderTest, order_id: str, who: Person) -> Iterator[queue.Queue[Any]]:
    """Read the stream in a thread; each `event: order` arrives on the queue as a dict."""
    events: queue.Queue[Any] = queue.Queue()
    opened = threading.Event()
    stop = threading.Event()

    def read() -> None:
        with (
            httpx.Client(base_url=shop.url, timeout=httpx.Timeout(5, read=30)) as client,
            client.stream(
                "GET",
                f"/orders/{order_id}/stream",
                headers={**who.headers, "Accept": "text/event-stream"},
            ) as answer,
        ):
            events.put(("status", answer.status_code, answer.headers.get("content-type", "")))
            opened.set()
            kind = ""
            for line in answer.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: ") and kind == "order":
                    events.put(json.loads(line.removeprefix("data: ")))

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    assert opened.wait(EVENT_WAIT), "the stream did not answer"
    try:
        yield events
    finally:
        stop.set()


def next_order(events: queue.Queue[Any]) -> dict[str, Any]:
    item = events.get(timeout=EVENT_WAIT)
    assert isinstance(item, dict), item
    return item


def test_stream_sends_the_order_then_each_change(shop: ShopUnderTest) -> None:
    order = place_order(shop)
    admin = staff(shop, "admin")
    with follow(shop, order.id, order.owner) as events:
        assert events.get(timeout=EVENT_WAIT) == ("status", 200, "text/event-stream; charset=utf-8")
        first = next_order(events)
        assert (first["id"], first["status"], first["customer"]) == (
            order.id,
            "pending_payment",
            None,
        )
        # Stripe's webhook (through the emulator) makes it paid: the stream says so.
        confirmed = shop.http.post(
            f"/dev/payments/{order.id}/confirm",
            json={"outcome": "success"},
            headers=order.owner.headers,
        )
        assert confirmed.status_code == 202, confirmed.text
        seen = next_order(events)
        while seen["status"] != "paid":
            seen = next_order(events)
        fulfilled = shop.http.post(
            f"/orders/{order.id}/fulfil", json={"tracking_note": "DHL 9"}, headers=admin.headers
        )
        assert fulfilled.status_code == 200, fulfilled.text
        after = next_order(events)
        assert (after["status"], after["tracking_note"]) == ("fulfilled", "DHL 9")
        assert after["version"] > seen["version"]

    # Staff follow any order and see the customer.
    with follow(shop, order.id, admin) as events:
        assert events.get(timeout=EVENT_WAIT)[1] == 200
        assert next_order(events)["customer"]["email"].endswith("@example.com")


def test_stream_is_authorised_like_the_order(shop: ShopUnderTest) -> None:
    order = place_order(shop)
    stranger = person(shop)
    for who, status in (
        (stranger, 404),
        (Person("", {}), 401),
        (Person("", {"Authorization": "Bearer nonsense"}), 401),
    ):
        answer = shop.http.get(f"/orders/{order.id}/stream", headers=who.headers)
        assert answer.status_code == status, answer.text
        assert answer.json()["detail"]
    missing = shop.http.get(f"/orders/{uuid.uuid4()}/stream", headers=order.owner.headers)
    assert missing.status_code == 404
