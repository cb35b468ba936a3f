"""What the sections of one run share: the stores, the servers' URLs, the admin token, the
connection monitor, and where results go; plus the one way project and baseline alternate."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import project
from bench.config import Config
from bench.load import Run, median
from bench.pg_monitor import PgConnections
from bench.shop_api import Shopper
from bench.stores import Stores


@dataclass
class Bench:
    config: Config
    stores: Stores
    settings: Any  # the project's Settings for the bench's own stores
    harness: Any  # the project's Services, for set-up and positions only
    logs: Path
    pg: PgConnections
    admin: dict[str, str] = field(default_factory=dict)
    project_url: str = ""
    bare_checkout_url: str = ""
    bare_reads_url: str = ""
    shoppers: list[Shopper] = field(default_factory=list)  # with orders, from checkout runs
    ratios: dict[str, float] = field(default_factory=dict)
    measurements: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def settle(self) -> None:
        """Let the worker finish projecting what came before, so it neither idles through a
        project run's start nor steals the CPU from the next run (a baseline's included)."""
        project.wait_caught_up(self.harness)


def alternate(rounds: int, sides: dict[str, Callable[[], Run]]) -> dict[str, list[Run]]:
    """Run each side once per round, in turn, the first side first in even rounds and last
    in odd ones, so slow drifts of the machine's load fall on both sides alike."""
    names = list(sides)
    runs: dict[str, list[Run]] = {name: [] for name in names}
    for number in range(rounds):
        for name in names if number % 2 == 0 else reversed(names):
            runs[name].append(sides[name]())
    return runs


def summary(runs: list[Run]) -> dict[str, Any]:
    return {
        "median": round(median([r.rate for r in runs]), 1),
        "p50_ms": round(median([r.ms(50) for r in runs]), 2),
        "p99_ms": round(median([r.ms(99) for r in runs]), 2),
        "errors": sum(r.errors for r in runs),
        "rounds": [r.summary() for r in runs],
    }


def compare(runs: dict[str, list[Run]], unit: str) -> dict[str, Any]:
    """The project's median rate over the baseline's (medians of the rounds)."""
    project_rate = median([r.rate for r in runs["project"]])
    bare_rate = median([r.rate for r in runs["bare"]])
    pairs = zip(runs["project"], runs["bare"], strict=True)
    return {
        "unit": unit,
        "project": summary(runs["project"]),
        "bare": summary(runs["bare"]),
        "ratio": ratio(project_rate, bare_rate),
        # Each round's two runs are next to each other in time: their ratios show the spread
        # that the machine's changing load leaves in the medians.
        "round_ratios": [ratio(p.rate, b.rate) for p, b in pairs],
    }


def ratio(project: float, bare: float) -> float:
    """Three significant figures: a slow flow against a fast baseline stays above zero."""
    return float(f"{project / bare:.3g}") if bare else 0.0


def load_average() -> float:
    return round(os.getloadavg()[0], 2)
