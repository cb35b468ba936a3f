"""A projection that cannot apply an event stops there and says so, while the others go on;
it resumes once fixed, or once an operator records a skip. Nothing is skipped silently."""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from prometheus_client import generate_latest
from sqlalchemy import BigInteger, Column, MetaData, String, Table, Uuid, select

from domain.products import Product
from infra.services import Services
from infra.settings import Settings
from projections.base import SqlProjection, handles
from projections.batch import Plan, ViewBatch
from projections.catalog import CatalogView
from tests.support.processes import SHOP_BIN, shop_env
from tests.support.servers import ShopUnderTest, poll_until
from workers.metrics import worker_registry
from workers.process import ProjectionWorker
from workers.status import projection_status

WAIT = 30.0

# A view of its own, outside the shop's metadata, for a projection that exists only here.
brittle_metadata = MetaData()
brittle_names = Table(
    "brittle_names",
    brittle_metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("position", BigInteger, nullable=False),
)


class BrittleView(SqlProjection):
    """Raises on a product named "poison" while `broken` is set, as a buggy handler would."""

    name = "brittle"
    tables = (brittle_names,)
    broken = True

    def plan(self, event: Any, plan: Plan) -> None:
        plan.fresh(brittle_names.c.id, event.originator_id)

    @handles(Product.ProductListed)
    def _listed(self, view: ViewBatch, event: Any, position: int) -> None:
        if self.broken and event.name == "poison":
            raise ValueError("cannot digest poison")
        view.insert(brittle_names, id=event.originator_id, name=event.name, position=position)


def position_of(answer: Any) -> int:
    return int(answer.headers["X-Event-Position"])


def brittle_rows(services: Services) -> list[str]:
    with services.read_engine.connect() as conn:
        rows = conn.execute(select(brittle_names.c.name).order_by(brittle_names.c.position))
        return list(rows.scalars())


def test_a_failing_projection_stops_at_its_event_while_the_others_go_on(
    shop_without_worker: ShopUnderTest, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="shop.worker")
    shop = shop_without_worker
    services = Services(settings)
    brittle = BrittleView()
    worker = ProjectionWorker(services, lease_ttl=3.0, projections=[CatalogView(), brittle])
    for runner in worker.runners:
        runner.retry_seconds = (0.1, 0.4)
    stop = threading.Event()
    worker.start(stop)
    runner = worker.runner("brittle")
    positions = shop.services.positions
    try:
        first = shop.create_product(name="first")
        poison = shop.create_product(name="poison")
        poison_id = poison.json()["id"]
        after = shop.create_product(name="after")

        # The catalog goes on past the poison; the brittle view stops just before it.
        assert positions.wait("catalog", position_of(after), WAIT)
        poll_until(lambda: runner.status.failures >= 3, WAIT, "brittle to retry a few times")
        assert positions.sql_position("brittle") == position_of(poison) - 1
        assert positions.sql_position("brittle") >= position_of(first)
        assert brittle_rows(services) == ["first"]
        status = runner.status
        assert status.state == "stopped on error"
        assert status.failed is not None
        assert (status.failed.position, status.failed.type) == (
            position_of(poison),
            "ProductListed",
        )
        assert status.failed.originator_id == poison_id
        assert status.last_error is not None
        assert "ValueError: cannot digest poison" in status.last_error
        assert "_listed" in status.last_error  # where it raised

        # One line for the state change, not one per attempt, and no traceback.
        stops = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(stops) == 1, [r.getMessage() for r in stops]
        line = stops[0].getMessage()
        assert f"event {position_of(poison)} (ProductListed, aggregate {poison_id}" in line
        assert f"stays at position {position_of(poison) - 1}" in line
        assert stops[0].exc_info is None

        # /metrics says it too, and so does the status row the CLI reads.
        text = generate_latest(worker_registry(worker.collector)).decode()
        failed_at = (
            f'shop_projection_failed_position{{projection="brittle"}} {position_of(poison)}.0'
        )
        assert failed_at in text
        assert 'shop_projection_state{projection="brittle",state="stopped on error"} 1.0' in text
        assert 'shop_projection_state{projection="catalog",state="running"} 1.0' in text
        assert 'shop_projection_errors_total{kind="event",projection="brittle"}' in text
        with services.read_engine.connect() as conn:
            row = conn.execute(
                select(projection_status).where(projection_status.c.name == "brittle")
            ).one()
        assert (row.state, row.failed_position, row.failed_type, row.failed_aggregate) == (
            "stopped on error",
            position_of(poison),
            "ProductListed",
            poison_id,
        )

        # The fix is deployed: the same runner resumes from the poison and catches up.
        brittle.broken = False
        assert positions.wait("brittle", position_of(after), WAIT)
        assert brittle_rows(services) == ["first", "poison", "after"]
        poll_until(lambda: runner.status.state == "running", WAIT, "brittle to run again")
        assert runner.status.failed is None and runner.status.last_error is None
        assert any("resumed" in r.getMessage() for r in caplog.records if r.name == "shop.worker")
    finally:
        stop.set()
        worker.join(15)
        brittle_metadata.drop_all(services.read_engine)
        services.close()


def shop_command(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SHOP_BIN), *args],
        env=shop_env(settings),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        cwd=Path(__file__).parent,
    )


def status_of(settings: Settings, name: str) -> dict[str, Any]:
    done = shop_command(settings, "projections", "status", "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)["projections"]}
    return rows[name]  # type: ignore[no-any-return]


def test_an_operator_skips_an_event_that_cannot_be_applied(shop: ShopUnderTest) -> None:
    assert shop.worker is not None
    catalog = shop.worker.projections.runner("catalog")
    before = shop.create_product(name="before")
    assert shop.services.positions.wait("catalog", position_of(before), WAIT)

    # A stored event no code can decode (say, written by a buggy deploy).
    broken_id = uuid.uuid4()
    ids = shop.services.shop.recorder.insert_events(
        [StoredEvent(broken_id, 1, get_topic(Product.ProductListed), b"{not json")]
    )
    assert ids
    broken = ids[0]
    later = shop.create_product(name="later")
    poll_until(
        lambda: catalog.status.failed is not None and catalog.status.failures >= 2,
        WAIT,
        "the catalog to stop on the broken event",
    )
    # The other views pass it (they ignore product events) and keep up.
    assert shop.services.positions.wait("orders", position_of(later), WAIT)
    assert shop.services.positions.sql_position("catalog") == broken - 1

    reported = status_of(shop.settings, "catalog")
    assert reported["state"] == "stopped on error"
    assert reported["position"] == broken - 1
    assert reported["failed_event"] == {
        "position": broken,
        "type": "ProductListed",
        "aggregate_id": str(broken_id),
    }
    assert "MapperDeserialisationError" in reported["last_error"]
    assert reported["lease_holder"] == shop.worker.projections.owner
    table = shop_command(shop.settings, "projections", "status")
    assert "stopped on error" in table.stdout and f"event {broken}" in table.stdout

    # Refused: already passed, no such event, not one the catalog handles, no reason.
    for args, message in (
        (["--position", str(position_of(before)), "--reason", "x"], "already passed"),
        (["--position", "999999", "--reason", "x"], "no event at position 999999"),
        (["--position", str(broken), "--reason", " "], "say why"),
    ):
        refused = shop_command(shop.settings, "projections", "skip", "catalog", *args)
        assert refused.returncode == 1, refused.stdout
        assert message in refused.stderr, refused.stderr
    not_mine = shop_command(
        shop.settings, "projections", "skip", "orders", "--position", str(broken), "--reason", "x"
    )
    assert not_mine.returncode == 1 and "not one orders handles" in not_mine.stderr

    # Every view that handles product events stopped there; the operator skips it in each.
    stuck = ["catalog"] + (["product_cache"] if shop.settings.redis_url else [])
    for name in stuck:
        skipped = shop_command(
            shop.settings,
            "projections",
            "skip",
            name,
            "--position",
            str(broken),
            "--reason",
            "written by a broken deploy",
            "--by",
            "alice",
        )
        assert skipped.returncode == 0, skipped.stderr
        assert f"{name} skips event {broken}" in skipped.stdout

    # The catalog resumes past it and applies what came after.
    assert shop.services.positions.wait("catalog", position_of(later), WAIT)
    page = shop.read(f"/products/{later.json()['id']}", after=later)
    assert page.status_code == 200 and page.json()["name"] == "later"
    poll_until(lambda: catalog.status.failed is None, WAIT, "the catalog to say it resumed")

    reported = status_of(shop.settings, "catalog")
    assert [(s["position"], s["decided_by"], s["reason"]) for s in reported["skips"]] == [
        (broken, "alice", "written by a broken deploy")
    ]
    assert reported["skips"][0]["event_type"] == "ProductListed"
    again = shop_command(
        shop.settings, "projections", "skip", "catalog", "--position", str(broken), "--reason", "x"
    )
    assert again.returncode == 1 and "already passed" in again.stderr
