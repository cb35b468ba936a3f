"""What one benchmark run measures (sizes and durations), and its progress log on stderr."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace

SECTIONS = ("checkout", "lag", "reads", "growth", "emulated", "replay", "storms")


@dataclass(frozen=True)
class Config:
    concurrencies: tuple[int, ...] = (4, 16)  # client connections; the largest gives the ratios
    rounds: int = 3  # project and baseline alternate; each reports the median of its rounds
    run_seconds: float = 4.0  # timed part of one run
    warmup_seconds: float = 1.0  # untimed requests before it, on the same connections
    catalog_products: int = 300  # products listed before the read runs
    growth_sales: int = 10_000  # earlier sales of the "old" product
    growth_orders: int = 1_000  # earlier orders of the "old" shopper (part of those sales)
    growth_flows: int = 10  # timed flows per side and round (old vs fresh, alternating)
    lag_rate: float = 100.0  # checkouts/s asked for while measuring the lag
    lag_seconds: float = 10.0
    emulated_connections: int = 16
    replay_events: int = 20_000  # at most this many notifications replayed per run
    storm_logins: int = 150  # connections signing in at once in the login storm
    storm_webhooks: int = 100  # connections delivering webhooks at once
    storm_seconds: float = 6.0  # each storm (and its calm baseline) lasts this long
    sections: tuple[str, ...] = SECTIONS
    mode: str = "full"

    @property
    def connections(self) -> int:
        """The connection count the headline ratios are taken at."""
        return max(self.concurrencies)

    @classmethod
    def quick(cls) -> Config:
        """A few minutes: same shape, shorter runs, smaller histories."""
        return cls(
            run_seconds=1.5,
            warmup_seconds=0.5,
            catalog_products=100,
            growth_sales=1_000,
            growth_orders=100,
            growth_flows=5,
            lag_seconds=3.0,
            replay_events=5_000,
            storm_seconds=3.0,
            mode="quick",
        )

    @classmethod
    def tiny(cls) -> Config:
        """Seconds, for the smoke test: proves the harness runs, measures nothing useful."""
        return replace(
            cls.quick(),
            concurrencies=(2, 4),
            rounds=1,
            run_seconds=0.3,
            warmup_seconds=0.1,
            catalog_products=10,
            growth_sales=20,
            growth_orders=5,
            growth_flows=2,
            lag_rate=20.0,
            lag_seconds=1.0,
            emulated_connections=4,
            replay_events=500,
            storm_logins=8,
            storm_webhooks=4,
            storm_seconds=0.5,
            mode="tiny",
        )


_STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[bench {time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)
