"""`make bench`'s harness runs end to end on tiny sizes against the real services.

Benchmarks are never asserted on speed: this checks that every server starts, every section
measures something, the results have their shape (every ratio key present and positive),
and the bench's own databases are gone afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pymysql
import pytest
import redis

from bench.config import Config
from bench.report import EXTRA, TARGETS
from bench.run import run
from bench.stores import MYSQL, PG, REDIS_URL
from tests.support.stores import ServiceStores

RATIO_KEYS = [
    "checkout_vs_bare",
    "checkout_growth",
    "product_read_vs_bare",
    "product_list_vs_bare",
    "order_history_vs_bare",
    "replay_vs_raw_decode",
    "lag_p99_ms",
    "pg_connections",
]


@pytest.mark.timeout(900)
def test_the_harness_measures_every_ratio_and_cleans_up(
    tmp_path: Path, service_stores: ServiceStores | None
) -> None:
    if service_stores is None:
        pytest.skip("the bench needs PostgreSQL, MariaDB and Redis (required when CI=true)")
    config = Config.tiny()

    summary = run(config, tmp_path)

    written = json.loads((tmp_path / "latest.json").read_text())
    assert written == json.loads(json.dumps(summary))
    assert set(RATIO_KEYS) <= set(TARGETS)
    ratios = written["ratios"]
    for key in [*RATIO_KEYS, *EXTRA]:
        assert isinstance(ratios[key], int | float), key
        assert ratios[key] > 0, key
    for key in RATIO_KEYS:
        assert written["targets"][key]["target"].startswith(("<", ">"))
        assert isinstance(written["targets"][key]["met"], bool)

    measurements = written["measurements"]
    for kind in ("checkout", "product_read", "product_list", "order_history"):
        by_connections = measurements[kind]["connections"]
        assert sorted(by_connections, key=int) == [str(c) for c in config.concurrencies]
        for comparison in by_connections.values():
            for side in ("project", "bare"):
                assert len(comparison[side]["rounds"]) == config.rounds
                assert comparison[side]["median"] > 0
    assert measurements["lag"]["checkouts"] > 0
    assert measurements["lag"]["headline_view"] in measurements["lag"]["views"]
    assert measurements["replay"]["notifications"] > 0
    assert set(measurements["pg_connections"]["max_by_process"]) == {
        "bench-gateway",
        "bench-worker",
    }
    assert written["host"]["load_average_1m"]["sections"]

    markdown = (tmp_path / "latest.md").read_text()
    assert markdown.startswith("# Benchmark results")
    for key in RATIO_KEYS:
        assert f"| `{key}` |" in markdown

    name = written["stores"]
    with psycopg.connect(**PG) as conn:
        left = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (name + "%",))
        assert left.fetchall() == []
    mysql = pymysql.connect(**MYSQL)
    try:
        with mysql.cursor() as cursor:
            cursor.execute("SHOW DATABASES LIKE %s", (name + "%",))
            assert cursor.fetchall() == ()
    finally:
        mysql.close()
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert list(client.scan_iter(f"{name}:*")) == []
    finally:
        client.close()
