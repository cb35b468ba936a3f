"""Load shapes: closed loops on N keep-alive connections for a fixed time, and a paced
(open-loop) rate. A unit of work ("step") is one request or a short flow of requests."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bench.http import Connection

# One unit of work on one connection; what it returns is kept by the paced load.
Step = Callable[[Connection], Awaitable[object]]


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Run:
    """One timed run: units completed inside the window, and their latencies."""

    units: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.units / self.seconds if self.seconds > 0 else 0.0

    def ms(self, p: float) -> float:
        return round(percentile(self.latencies, p) * 1000, 2)

    def summary(self) -> dict[str, float]:
        return {
            "rate": round(self.rate, 1),
            "units": self.units,
            "p50_ms": self.ms(50),
            "p99_ms": self.ms(99),
        }


def closed_loop(url: str, steps: Sequence[Step], seconds: float, warmup: float) -> Run:
    """Each step runs in a loop on its own connection: `warmup` seconds untimed, then
    `seconds` timed. Units that finish inside the timed window count."""
    return asyncio.run(_closed_loop(url, steps, seconds, warmup))


async def _closed_loop(url: str, steps: Sequence[Step], seconds: float, warmup: float) -> Run:
    connections = [Connection(url) for _ in steps]
    begin = time.perf_counter() + warmup
    end = begin + seconds
    latencies: list[float] = []
    completed = 0

    async def loop(connection: Connection, step: Step) -> None:
        nonlocal completed
        while (started := time.perf_counter()) < end:
            await step(connection)
            finished = time.perf_counter()
            if begin <= finished <= end:
                completed += 1
                if started >= begin:
                    latencies.append(finished - started)

    try:
        await asyncio.gather(*(loop(c, s) for c, s in zip(connections, steps, strict=True)))
    finally:
        for connection in connections:
            await connection.close()
    return Run(completed, seconds, latencies)


@dataclass(frozen=True)
class Paced:
    """A paced run: when each unit finished and what it returned."""

    asked_rate: float
    results: list[tuple[float, object]]  # (time.monotonic() at the answer, step result)
    latencies: list[float]
    seconds: float  # from the first start to the last answer

    @property
    def rate(self) -> float:
        return len(self.results) / self.seconds if self.seconds > 0 else 0.0


def paced(url: str, steps: Sequence[Step], rate: float, seconds: float) -> Paced:
    """Start units at `rate` per second for `seconds`, each on an idle connection; when all
    connections are busy the next unit waits, so an overloaded system sets its own rate."""
    return asyncio.run(_paced(url, steps, rate, seconds))


async def _paced(url: str, steps: Sequence[Step], rate: float, seconds: float) -> Paced:
    idle: asyncio.Queue[tuple[Connection, Step]] = asyncio.Queue()
    for step in steps:
        idle.put_nowait((Connection(url), step))
    results: list[tuple[float, object]] = []
    latencies: list[float] = []

    async def unit(connection: Connection, step: Step) -> None:
        started = time.perf_counter()
        try:
            value = await step(connection)
            results.append((time.monotonic(), value))
            latencies.append(time.perf_counter() - started)
        finally:
            idle.put_nowait((connection, step))

    count = max(1, round(rate * seconds))
    first = time.perf_counter()
    tasks = []
    for i in range(count):
        delay = first + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        connection, step = await idle.get()
        tasks.append(asyncio.create_task(unit(connection, step)))
    try:
        await asyncio.gather(*tasks)
    finally:
        while not idle.empty():
            await idle.get_nowait()[0].close()
    return Paced(rate, results, latencies, time.perf_counter() - first)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0
