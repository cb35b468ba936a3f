"""docs/analysts.md, run as written: an analyst's projection (docs/examples/revenue.py, shown
in the doc as it is) replayed from history into a new table with the doc's command, queried
with the doc's query, followed live with its lag in /metrics and `shop projections status`;
and a replay interrupted half-way carries on from its stored position."""

from __future__ import annotations

import json
import re
import shlex
import sqlite3
import subprocess
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from docs.examples.revenue import RevenuePerProductPerDay, revenue
from domain.orders import Order
from infra.db import make_engine
from tests.support.processes import ROOT, SHOP_BIN, shop_env, shop_process
from tests.support.servers import ShopUnderTest, free_port, poll_until
from tests.support.shopping import Placed, paid_order, place_order
from workers.analysis import replay_into

DOC = ROOT / "docs" / "analysts.md"
EXAMPLE = ROOT / "docs" / "examples" / "revenue.py"
SPEC = "docs.examples.revenue:RevenuePerProductPerDay"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), re.DOTALL)


def doc_command(*, follow: bool) -> list[str]:
    """The doc's replay command (the one that follows, or the one that does not)."""
    for block in blocks("sh"):
        text = block.replace("\\\n", " ")
        for line in text.splitlines():
            ours = line.startswith(f".venv/bin/shop projections replay {SPEC}")
            if ours and ("--follow" in line) == follow:
                return [str(SHOP_BIN), *shlex.split(line)[1:]]
    raise AssertionError("the doc lost its replay command")


def paid_day(shop: ShopUnderTest, order: Placed) -> str:
    events = shop.services.shop.events.get(UUID(order.id))
    paid = next(e for e in events if isinstance(e, Order.PaymentSucceeded))
    return paid.timestamp.date().isoformat()


def expected_rows(shop: ShopUnderTest, orders: list[Placed]) -> list[tuple[Any, ...]]:
    rows = [(paid_day(shop, o), "Teapot", "EUR", o.quantity, o.total) for o in orders]
    return sorted(rows, key=lambda row: (row[0], -row[4], row[1]))


def query(database: Path) -> list[tuple[Any, ...]]:
    (sql,) = blocks("sql")
    with sqlite3.connect(database) as conn:
        return list(conn.execute(sql).fetchall())


def test_the_doc_shows_the_example_as_it_is() -> None:
    assert EXAMPLE.read_text() in blocks("python")


def test_the_worked_example_from_history_to_a_live_table(
    shop: ShopUnderTest, tmp_path: Path
) -> None:
    orders = [paid_order(shop, price=1250, quantity=2)[0], paid_order(shop, price=300)[0]]
    place_order(shop, price=999, quantity=1)  # placed, never paid: no revenue
    env = shop_env(shop.settings)

    # Step 3: the doc's command, in a directory of the analyst's (var/analysis.db is relative).
    ran = subprocess.run(
        doc_command(follow=False),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    head = shop.services.shop.position()
    assert re.search(
        rf"revenue_per_product_day: \[#+\] position {head}/{head} \(100\.0%\)", ran.stderr
    ), ran.stderr
    assert "replayed revenue_per_product_day into sqlite:///var/analysis.db" in ran.stdout
    assert ran.stdout.rstrip().endswith(f"position {head}")

    # Step 4: the doc's query over the new table.
    database = tmp_path / "var" / "analysis.db"
    assert query(database) == expected_rows(shop, orders)

    # Step 5: following live, with its lag in /metrics and in `shop projections status`.
    port = free_port()
    command = doc_command(follow=True)
    command[command.index("--metrics-port") + 1] = str(port)
    with shop_process(shop.settings, command[1:], tmp_path / "follow.log"):
        later = paid_order(shop, price=700, quantity=3)[0]
        orders.append(later)
        position = shop.services.shop.position()

        def metric(name: str) -> float | None:
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.TransportError:
                return None
            found = re.search(
                rf'^{name}{{projection="revenue_per_product_day"}} (\S+)$', text, re.M
            )
            return float(found.group(1)) if found else None

        poll_until(
            lambda: (metric("shop_projection_position") or 0) >= position,
            60,
            f"the followed view to reach position {position}",
        )
        assert metric("shop_projection_lag_events") == 0
        assert query(database) == expected_rows(shop, orders)

        status = subprocess.run(
            [str(SHOP_BIN), "projections", "status", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert status.returncode == 0, status.stderr
        rows = {row["name"]: row for row in json.loads(status.stdout)["projections"]}
        mine = rows["revenue_per_product_day"]
        assert mine["analysis"] is True and mine["kind"] == "sql"
        assert mine["state"] in ("running", "catching up") and mine["lease_holder"]
        assert mine["position"] <= mine["head"] and mine["lag"] == mine["head"] - mine["position"]
        assert not rows["catalog"]["analysis"]
    log = (tmp_path / "follow.log").read_text()
    assert "following the log" in log


class InterruptedOnce(RevenuePerProductPerDay):
    """The analyst presses Ctrl-C while the second payment is being applied."""

    def __init__(self) -> None:
        self.payments = 0

    def apply(self, target: Any, event: Any, position: int) -> None:
        if isinstance(event, Order.PaymentSucceeded):
            self.payments += 1
            if self.payments == 2:
                raise KeyboardInterrupt
        super().apply(target, event, position)


def test_an_interrupted_replay_carries_on_from_its_position(
    shop: ShopUnderTest, tmp_path: Path
) -> None:
    for price in (100, 200, 300):
        paid_order(shop, price=price)
    head = shop.services.shop.position()
    url = f"sqlite:///{tmp_path}/analysis.db"
    with pytest.raises(KeyboardInterrupt):
        replay_into(shop.services, InterruptedOnce(), url, batch_size=1)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            stopped = conn.exec_driver_sql(
                "SELECT position FROM projection_positions WHERE name = 'revenue_per_product_day'"
            ).scalar_one()
            assert len(conn.execute(revenue.select()).all()) == 1  # the first payment only
        assert 0 < stopped < head

        resumed = replay_into(shop.services, SPEC, url, batch_size=1)
        assert resumed.position == head and 0 < resumed.events <= head - stopped

        whole = replay_into(shop.services, SPEC, f"sqlite:///{tmp_path}/whole.db")
        assert whole.position == head
        other = make_engine(f"sqlite:///{tmp_path}/whole.db")
        try:
            with engine.connect() as a, other.connect() as b:
                resumed_rows = sorted(a.execute(revenue.select()).all())
                whole_rows = sorted(b.execute(revenue.select()).all())
            assert resumed_rows == whole_rows and len(whole_rows) == 3
        finally:
            other.dispose()
    finally:
        engine.dispose()
