"""What a benchmark run measures, and its progress log (on stderr; results go to files)."""

from __future__ import annotations

import sys
from dataclasses import dataclass

BENCHMARK_NAMES = ("projection", "read", "command")


@dataclass(frozen=True)
class Config:
    events: int = 20_000  # (a) product events replayed per variant
    batch_sizes: tuple[int, ...] = (1, 100, 500)  # (a) the first is the baseline
    # (a) a variant replays at most this many transactions (batch 1: the first 5,000 events),
    # which bounds the run; the rate of one-event transactions does not depend on how many.
    max_transactions: int = 5_000
    products: int = 500  # (b) products in the catalog being read
    reads: int = 2_000  # (b) timed GETs per variant and round
    commands: int = 1_000  # (c) timed POSTs per variant and round
    concurrency: int = 4  # HTTP clients at once
    rounds: int = 2  # (b), (c): variants alternate; the best round of each counts
    warmup: int = 50  # untimed requests per variant
    services: bool = True  # False: SQLite only, PostgreSQL/MariaDB/Redis are not touched
    only: tuple[str, ...] = BENCHMARK_NAMES


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
