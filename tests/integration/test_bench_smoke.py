"""The benchmark harness runs end to end, with tiny sizes and SQLite only.

Benchmarks are never asserted on speed: this checks the structure of what they report.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.run import run
from bench.run_config import Config


def labels(benchmark: dict[str, object], group: int = 0) -> list[str]:
    results = benchmark["groups"][group]["results"]  # type: ignore[index]
    return [result["label"] for result in results]


def test_the_harness_runs_and_writes_its_summary(tmp_path: Path) -> None:
    config = Config(
        events=41,
        products=5,
        reads=10,
        commands=10,
        concurrency=2,
        rounds=1,
        warmup=2,
        services=False,
    )
    summary = run(config, tmp_path)

    assert json.loads((tmp_path / "latest.json").read_text()) == json.loads(json.dumps(summary))
    assert summary["config"]["services_problem"] == "not selected (SQLite only)"
    benchmarks = summary["benchmarks"]
    assert list(benchmarks) == ["projection_throughput", "read_path", "command_path"]

    projection = benchmarks["projection_throughput"]
    assert projection["unit"] == "events/s"
    assert [g["name"] for g in projection["groups"]] == ["SQLite catalog view"]
    assert labels(projection) == ["batch 1", "batch 100", "batch 500"]
    assert projection["skipped"] == ["MariaDB catalog view: not selected (SQLite only)"]

    read = benchmarks["read_path"]
    assert [g["name"] for g in read["groups"]] == ["sqlite, over HTTP", "sqlite, store lookup only"]
    assert labels(read) == labels(read, 1) == ["SQLite catalog view"]
    assert "Redis hot view vs MariaDB catalog view" in read["skipped"][0]

    command = benchmarks["command_path"]
    assert labels(command) == ["SQLite event store"]
    assert "PostgreSQL event store" in command["skipped"][0]

    for benchmark in benchmarks.values():
        for group in benchmark["groups"]:
            results = group["results"]
            assert results[0]["label"] == group["baseline"]
            assert results[0]["ratio"] == 1.0
            for result in results:
                assert result["value"] > 0 and result["ratio"] > 0
                assert isinstance(result["details"], dict)
    assert projection["groups"][0]["results"][0]["details"]["events"] == 41
    assert read["groups"][0]["results"][0]["details"]["requests"] == 10

    markdown = (tmp_path / "latest.md").read_text()
    assert markdown.startswith("# Benchmark results")
    for benchmark in benchmarks.values():
        assert f"## {benchmark['title']}" in markdown
    assert "| batch 100 |" in markdown
