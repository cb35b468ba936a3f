"""`shop events export`: the event log as JSON Lines or Parquet, filtered, loaded back and
compared with the store itself; personal data never appears."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from uuid import UUID

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from domain.events import type_name
from entrypoints.cli import app as shop_cli
from infra.event_export import ExportError, ExportFilter, parse_bound, resolve_types
from tests.support.processes import shop_env
from tests.support.servers import ShopUnderTest
from tests.support.shopping import add, checkout, new_product, person

BAR = r"export: \[#{24}\] position (\d+)/\1 \(100\.0%\)\s+[\d,]+ events/s\s+ETA 0:00:00"


def populate(shop: ShopUnderTest) -> dict[str, str]:
    """Accounts with known e-mails, products revised, a cart, an order; returns the e-mails
    and user names used (which must never be exported)."""
    secrets: dict[str, str] = {}
    for _ in range(2):
        account = shop.register()
        secrets[account["username"]] = f"{account['username']}@example.com"
    buyer = person(shop)
    product = new_product(shop, price=1250, stock=9)
    answer = shop.http.put(
        f"/products/{product}",
        json={"name": "Kettle", "description": "Whistles", "price": 1300, "stock": 9},
        headers={**shop.admin(), "If-Match": '"1"'},
    )
    assert answer.status_code == 200, answer.text
    assert add(shop, buyer, product, 2).status_code == 201
    assert checkout(shop, buyer).status_code == 201
    return secrets


def stored(shop: ShopUnderTest) -> list[Any]:
    """Every notification in the store, straight from the recorder."""
    recorder = shop.services.shop.recorder
    return list(recorder.select_notifications(start=1, limit=100_000))


def export(shop: ShopUnderTest, *args: str) -> tuple[list[dict[str, Any]], str]:
    """Run the real command in process; (records loaded back, stderr)."""
    ran = CliRunner().invoke(shop_cli, ["events", "export", *args], env=shop_env(shop.settings))
    assert ran.exit_code == 0, ran.output
    lines = [json.loads(line) for line in ran.stdout.splitlines() if line]
    return lines, ran.stderr


def test_export_everything_as_json_lines_and_parquet(shop: ShopUnderTest, tmp_path: Path) -> None:
    secrets = populate(shop)
    notifications = stored(shop)
    assert len(notifications) >= 10

    records, stderr = export(shop)
    assert len(records) == len(notifications)
    assert [r["position"] for r in records] == [n.id for n in notifications]
    for record, notification in zip(records, notifications, strict=True):
        assert set(record) == {
            "position",
            "time",
            "type",
            "aggregate_id",
            "aggregate_version",
            "data",
        }
        assert record["type"] == type_name(notification.topic)
        assert record["aggregate_id"] == str(notification.originator_id)
        assert record["aggregate_version"] == notification.originator_version
        assert record["time"].endswith("+00:00")
    placed = next(r for r in records if r["type"] == "Order.OrderPlaced")
    assert placed["data"]["total"] == 2600 and placed["data"]["currency"] == "EUR"
    assert placed["data"]["lines"][0]["quantity"] == 2
    UUID(placed["data"]["user_id"])  # users are opaque ids

    # The progress bar ends at the head; the summary says how many.
    assert re.search(BAR, stderr), stderr
    assert f"exported {len(records)} events" in stderr

    # Personal data never appears: no e-mail, no user name, no password hash.
    text = json.dumps(records)
    for username, email in secrets.items():
        assert email not in text and username not in text
    assert "@example.com" not in text and "$2b$" not in text

    # Parquet: the same events, loaded back with pyarrow.
    path = tmp_path / "out" / "events.parquet"
    _, stderr = export(shop, "--format", "parquet", "-o", str(path))
    assert f"exported {len(records)} events to {path}" in stderr
    table = pq.read_table(path)
    assert table.num_rows == len(records)
    assert table.column_names == [
        "position",
        "time",
        "type",
        "aggregate_id",
        "aggregate_version",
        "data",
    ]
    rows = table.to_pylist()
    assert [row["position"] for row in rows] == [r["position"] for r in records]
    assert [json.loads(row["data"]) for row in rows] == [r["data"] for r in records]
    assert rows[0]["time"].isoformat() == records[0]["time"]


def test_filters_select_exactly_what_the_store_holds(shop: ShopUnderTest, tmp_path: Path) -> None:
    populate(shop)
    notifications = stored(shop)
    mapper = shop.services.shop.mapper
    events: dict[int, Any] = {n.id: mapper.to_domain_event(n) for n in notifications}

    # By type (short, qualified, or topic; several at once).
    records, _ = export(shop, "--types", "OrderPlaced,Product.PriceChanged")
    wanted = {"Order.OrderPlaced", "Product.PriceChanged"}
    expected = [n.id for n in notifications if type_name(n.topic) in wanted]
    assert [r["position"] for r in records] == expected and len(expected) == 2

    # By aggregate: that aggregate's whole history, versions 1..n.
    product = next(n for n in notifications if n.topic.endswith("ProductListed")).originator_id
    records, _ = export(shop, "--aggregate", str(product))
    assert [r["aggregate_version"] for r in records] == list(range(1, len(records) + 1))
    assert {r["aggregate_id"] for r in records} == {str(product)}
    assert len(records) == sum(1 for n in notifications if n.originator_id == product)

    # By position, inclusive at both ends.
    low, high = notifications[2].id, notifications[-3].id
    records, _ = export(shop, "--since", str(low), "--until", str(high))
    assert [r["position"] for r in records] == [n.id for n in notifications if low <= n.id <= high]

    # By time: each event's own timestamp, inclusive.
    middle = notifications[len(notifications) // 2]
    moment = events[middle.id].timestamp
    records, _ = export(shop, "--since", moment.isoformat())
    assert [r["position"] for r in records] == [
        n.id for n in notifications if events[n.id].timestamp >= moment
    ]
    records, _ = export(shop, "--until", moment.isoformat().replace("+00:00", "Z"))
    assert [r["position"] for r in records] == [
        n.id for n in notifications if events[n.id].timestamp <= moment
    ]
    assert records and records[-1]["position"] >= middle.id

    # Into a file, combined.
    out = tmp_path / "orders.jsonl"
    _, stderr = export(shop, "--types", "OrderPlaced", "--since", "2000-01-01", "-o", str(out))
    lines = out.read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["type"] == "Order.OrderPlaced"
    assert f"exported 1 events to {out}" in stderr


def test_bad_options_are_refused_with_one_line(shop_without_worker: ShopUnderTest) -> None:
    env = shop_env(shop_without_worker.settings)
    for args, message in (
        (["--types", "OrderPlacd"], "unknown event type 'OrderPlacd'; the types are: "),
        (["--since", "yesterday"], "'yesterday' is neither a position"),
        (["--aggregate", "42"], "'42' is not an aggregate id"),
        (["--format", "parquet"], "Parquet goes to a file: give --output FILE"),
    ):
        ran = CliRunner().invoke(shop_cli, ["events", "export", *args], env=env)
        assert ran.exit_code == 2, ran.output
        assert ran.stderr.startswith(f"error: {message}"), ran.stderr
        assert ran.stdout == ""


def test_option_parsing() -> None:
    assert parse_bound("17") == 17
    assert parse_bound("2026-11-29").isoformat() == "2026-11-29T00:00:00+00:00"  # type: ignore[union-attr]
    assert parse_bound("2026-11-29T18:00:00Z").isoformat() == "2026-11-29T18:00:00+00:00"  # type: ignore[union-attr]
    assert parse_bound("2026-11-29T19:00:00+01:00") == parse_bound("2026-11-29T18:00:00")
    assert resolve_types(["OrderPlaced"]) == resolve_types(["domain.orders:Order.OrderPlaced"])
    assert ExportFilter.parse(types="Order.OrderPlaced, OrderPlaced").topics == (
        "domain.orders:Order.OrderPlaced",
    )
    with pytest.raises(ExportError, match="unknown event type"):
        resolve_types(["Nope"])
