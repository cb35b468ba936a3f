"""Rebuilding views from the whole history, and replaying them into a new store for analysts.

The views the live worker built event by event are the reference: a rebuild (in batches,
under the lease, through the same ViewStore.commit) must reproduce them exactly.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from entrypoints.cli import app as shop_cli
from infra.db import make_engine
from infra.progress import Progress
from infra.read_store import projection_positions
from infra.settings import Settings
from projections.base import RedisProjection, SqlProjection
from projections.catalog import catalog_products
from projections.registry import projections_for
from tests.support.processes import shop_env
from tests.support.servers import ShopUnderTest, Worker
from tests.support.shopping import add, checkout, new_product, paid_order, person
from workers.analysis import replay_into
from workers.bluegreen import rebuild
from workers.lease import Lease
from workers.replay import LeaseHeld, ReplayError

SHOP_CLI = Path(sys.executable).with_name("shop")
PROGRESS_LINE = r"\[#+\] position {max}/{max} \(100\.0%\)\s+[\d,]+ events/s\s+ETA 0:00:00"


# -- helpers -------------------------------------------------------------------------------------


def populate(shop: ShopUnderTest) -> int:
    """Products listed, revised and delisted, a paid order, an open cart; returns the store's
    position once every view has reached it."""
    admin = shop.admin()
    revised = new_product(shop, price=500, stock=9)
    answer = shop.http.put(
        f"/products/{revised}",
        json={"name": "Kettle", "description": "Whistles", "price": 650, "stock": 7},
        headers={**admin, "If-Match": '"1"'},
    )
    assert answer.status_code == 200, answer.text
    delisted = new_product(shop)
    assert shop.http.delete(f"/products/{delisted}", headers=admin).status_code == 204
    paid_order(shop, price=1250, quantity=2)
    browsing = person(shop)
    assert add(shop, browsing, revised, 2).status_code == 201
    assert add(shop, browsing, new_product(shop, price=99), 1).status_code == 201
    unpaid = person(shop)
    assert add(shop, unpaid, revised, 1).status_code == 201
    assert checkout(shop, unpaid).status_code == 201
    return caught_up(shop)


def caught_up(shop: ShopUnderTest) -> int:
    position = shop.services.shop.position()
    for projection in projections_for(shop.settings):
        in_redis = isinstance(projection, RedisProjection)
        assert shop.services.positions.wait(projection.name, position, 20, in_redis=in_redis)
    return position


def stop_worker(shop: ShopUnderTest) -> None:
    """Stop the fixture's worker threads; they release their leases on the way out (the
    fixture still closes the worker's connections afterwards)."""
    assert shop.worker is not None
    shop.worker.stop_event.set()
    for thread in shop.worker.threads:
        thread.join(timeout=15)
        assert not thread.is_alive()


def sql_rows(engine: Engine, projection: SqlProjection) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
            for table in projection.tables
        }


def snapshot(shop: ShopUnderTest, only: str | None = None) -> dict[str, Any]:
    """Every row of every SQL view and every Redis hot-view hash, by projection."""
    views: dict[str, Any] = {}
    for projection in projections_for(shop.settings):
        if only and projection.name != only:
            continue
        if isinstance(projection, SqlProjection):
            views[projection.name] = sql_rows(shop.services.read_engine, projection)
        elif isinstance(projection, RedisProjection):
            redis = shop.services.redis
            assert redis is not None
            keys = redis.scan_iter(match=projection.key() + ":*")
            views[projection.name] = {key: redis.hgetall(key) for key in keys}
    return views


def position_of(shop: ShopUnderTest, name: str) -> int:
    in_redis = name == "product_cache"
    return shop.services.positions.position(name, in_redis=in_redis)


def shop_command(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SHOP_CLI), *args],
        env=shop_env(settings),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


# -- rebuild -------------------------------------------------------------------------------------


def test_rebuild_reproduces_every_view_and_the_worker_carries_on(shop: ShopUnderTest) -> None:
    top = populate(shop)
    before = snapshot(shop)
    assert before["catalog"]["catalog_products"] and before["orders"]["orders"]
    assert before["carts"]["cart_lines"]

    # One rebuild of a view at a time: another one waits, or is refused naming the holder.
    engine = shop.services.read_engine
    other = Lease(engine, "catalog~next", "rebuild@elsewhere", 30)
    assert other.try_acquire()
    with pytest.raises(LeaseHeld, match=r"a rebuild of catalog is held by rebuild@elsewhere"):
        rebuild(shop.services, "catalog")
    other.release()
    assert snapshot(shop) == before

    # Blue/green, with the worker running: each view is rebuilt beside the live one.
    progress: list[Progress] = []
    names = [projection.name for projection in projections_for(shop.settings)]
    results = {name: rebuild(shop.services, name, 2, on_progress=progress.append) for name in names}

    assert snapshot(shop) == before
    assert top == shop.services.shop.position()
    for name, result in results.items():
        assert result.position == top == position_of(shop, name)
        assert 0 < result.events <= top
    finished = [p for p in progress if p.done]
    # Each view: the build, then the last events after the fence.
    assert [p.name for p in finished] == [name for name in names for _ in (1, 2)]
    assert all(p.position == p.max_position == top for p in finished)
    assert re.search(PROGRESS_LINE.format(max=top), finished[0].line())
    # Batches of 2: the intermediate reports show the position climbing to the top.
    catalog_positions = [p.position for p in progress if p.name == "catalog"]
    assert catalog_positions == sorted(catalog_positions) and catalog_positions[0] == 0
    stop_worker(shop)

    # A worker started afterwards carries on from the rebuilt positions, adding nothing twice.
    worker = Worker(shop.settings)
    try:
        created = shop.create_product(name="After the rebuild")
        page = shop.read(f"/products/{created.json()['id']}", after=created)
        assert page.status_code == 200, page.text
        assert page.json()["name"] == "After the rebuild"
        listed = shop.read("/products", after=created, params={"limit": 100})
        names_listed = [item["name"] for item in listed.json()["items"]]
        assert names_listed.count("After the rebuild") == 1
        assert caught_up(shop) == int(created.headers["X-Event-Position"])
    finally:
        worker.stop()


def test_rebuild_through_the_shop_command(shop: ShopUnderTest) -> None:
    top = populate(shop)
    before = snapshot(shop, only="catalog")

    held = Lease(shop.services.read_engine, "catalog~next", "rebuild@elsewhere", 30)
    assert held.try_acquire()
    refused = shop_command(shop.settings, "projections", "rebuild", "catalog")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "error: a rebuild of catalog is held by rebuild@elsewhere" in refused.stderr
    assert snapshot(shop, only="catalog") == before
    held.release()

    stop_worker(shop)
    done = shop_command(shop.settings, "projections", "rebuild", "catalog", "--batch-size", "3")
    assert done.returncode == 0, done.stderr
    assert re.search(r"catalog: \[\.+\] position 0/\d+", done.stderr), done.stderr
    assert re.search("catalog: " + PROGRESS_LINE.format(max=top), done.stderr), done.stderr
    assert f"rebuilt catalog: {top}" in done.stdout or f"position {top}" in done.stdout
    assert snapshot(shop, only="catalog") == before
    assert position_of(shop, "catalog") == top

    listed = shop_command(shop.settings, "projections", "status", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)["projections"]}
    catalog = rows["catalog"]
    assert (catalog["kind"], catalog["position"], catalog["head"], catalog["lag"]) == (
        "sql",
        top,
        top,
        0,
    )
    # The worker was stopped and the rebuild has let go of the lease: nobody runs it now.
    assert (catalog["state"], catalog["lease_holder"], catalog["last_error"]) == (
        "not running",
        None,
        None,
    )
    expected = {"catalog", "carts", "orders", "daily_sales", "access", "selling"} | (
        {"product_cache"} if shop.settings.redis_url else set()
    )
    assert set(rows) == expected
    table = shop_command(shop.settings, "projections", "status")
    assert table.returncode == 0, table.stderr
    assert "catalog" in table.stdout and "not running" in table.stdout


# -- replay into a new read store --------------------------------------------------------------


def test_replay_into_a_new_read_store(shop: ShopUnderTest, tmp_path: Path) -> None:
    top = populate(shop)
    live = snapshot(shop)
    live_positions = {name: position_of(shop, name) for name in live}
    analysis_url = f"sqlite:///{tmp_path}/analysis/views.db"

    for name in ("catalog", "orders"):
        result = replay_into(shop.services, name, analysis_url, batch_size=4)
        assert result.position == top
    analysis = make_engine(analysis_url)
    try:
        for projection in projections_for(shop.settings):
            if projection.name in ("catalog", "orders"):
                assert isinstance(projection, SqlProjection)
                assert sql_rows(analysis, projection) == live[projection.name]
        with analysis.connect() as conn:
            rows = conn.execute(select(projection_positions)).all()
        positions = {row.name: row.position for row in rows}
        assert positions == {"catalog": top, "orders": top}
    finally:
        analysis.dispose()

    # The live store was not touched, and its worker kept its leases and positions.
    assert snapshot(shop) == live
    assert {name: position_of(shop, name) for name in live} == live_positions

    # Again: it carries on from its stored position (nothing new to do).
    again = replay_into(shop.services, "catalog", analysis_url)
    assert (again.position, again.events) == (top, 0)
    # A store with the view's tables that no replay wrote is never written into.
    foreign_url = f"sqlite:///{tmp_path}/foreign.db"
    foreign = make_engine(foreign_url)
    catalog_products.create(foreign)
    foreign.dispose()
    with pytest.raises(ReplayError, match="already has catalog_products, not written by a replay"):
        replay_into(shop.services, "catalog", foreign_url)
    with pytest.raises(ReplayError, match="live read store"):
        replay_into(shop.services, "catalog", shop.settings.read_store_url)
    with pytest.raises(ReplayError, match="no projection named 'nope'"):
        replay_into(shop.services, "nope", f"sqlite:///{tmp_path}/other.db")
    if shop.settings.redis_url:
        with pytest.raises(ReplayError, match="SQL views only"):
            replay_into(shop.services, "product_cache", f"sqlite:///{tmp_path}/other.db")

    # Through the CLI (in process): the cart view, and the catalog as it stood at `top`,
    # after the live shop has moved on.
    later = shop.create_product(name="Listed later")
    assert shop.read(f"/products/{later.json()['id']}", after=later).status_code == 200
    now = int(later.headers["X-Event-Position"])
    for name, url, until, reached in (
        ("carts", f"sqlite:///{tmp_path}/carts.db", [], now),
        ("catalog", f"sqlite:///{tmp_path}/as-of.db", ["--until", str(top)], top),
    ):
        ran = CliRunner().invoke(
            shop_cli,
            ["projections", "replay-into", name, "--read-store-url", url, *until],
            env=shop_env(shop.settings),
        )
        assert ran.exit_code == 0, ran.output
        assert f"replayed {name} into {url}" in ran.output
        assert ran.output.endswith(f"position {reached}\n")
        engine = make_engine(url)
        try:
            projection = next(p for p in projections_for(shop.settings) if p.name == name)
            assert isinstance(projection, SqlProjection)
            assert sql_rows(engine, projection) == live[name]
        finally:
            engine.dispose()
