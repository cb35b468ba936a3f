"""Load shapes: closed loops on N keep-alive connections for a fixed time, and a paced
(open-loop) rate. A unit of work ("step") is one request or a short flow of requests."""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bench.http import Connection, UnexpectedAnswer

# One unit of work on one connection; what it returns is kept by the paced load.
Step = Callable[[Connection], Awaitable[object]]


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


# A unit whose answer was not the expected one is counted, not timed; a run with more of
# them than this share is stopped, since it would measure errors.
MAX_ERROR_SHARE = 0.01


class TooManyErrors(RuntimeError):
    pass


class Errors:
    def __init__(self) -> None:
        self.count = 0
        self.first: str | None = None

    def add(self, error: UnexpectedAnswer) -> None:
        self.count += 1
        self.first = self.first or str(error)

    def check(self, units: int, final: bool = True) -> None:
        """Raise when too many units failed; during the run, only once failures are many
        (a systematic error stops the run early, a rare one is judged at the end)."""
        total = units + self.count
        if self.count > max(1 if final else 20, MAX_ERROR_SHARE * total):
            raise TooManyErrors(f"{self.count} failed units of {total}: {self.first}")


@dataclass(frozen=True)
class Run:
    """One timed run: units completed inside the window, their latencies, failed units."""

    units: int
    seconds: float
    latencies: list[float]
    errors: int = 0

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
            "errors": self.errors,
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
    errors = Errors()

    async def loop(connection: Connection, step: Step) -> None:
        nonlocal completed
        while (started := time.perf_counter()) < end:
            try:
                await step(connection)
            except UnexpectedAnswer as error:
                errors.add(error)
                errors.check(completed, final=False)
                continue
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
    errors.check(completed)
    return Run(completed, seconds, latencies, errors.count)


@dataclass(frozen=True)
class Paced:
    """A paced run: when each unit finished and what it returned."""

    asked_rate: float
    results: list[tuple[float, object]]  # (time.monotonic() at the answer, step result)
    latencies: list[float]
    seconds: float  # from the first start to the last answer
    errors: int = 0

    @property
    def rate(self) -> float:
        return len(self.results) / self.seconds if self.seconds > 0 else 0.0


def paced(url: str, steps: Sequence[Step], rate: float, seconds: float) -> Paced:
    """Start units at `rate` per second for `seconds`, each on an idle connection; when all
    connections are busy the next unit waits, so an overloaded system sets its own rate (and
    no unit starts after the window)."""
    return asyncio.run(_paced(url, steps, rate, seconds))


async def _paced(url: str, steps: Sequence[Step], rate: float, seconds: float) -> Paced:
    idle: asyncio.Queue[tuple[Connection, Step]] = asyncio.Queue()
    for step in steps:
        idle.put_nowait((Connection(url), step))
    results: list[tuple[float, object]] = []
    latencies: list[float] = []
    errors = Errors()

    async def unit(connection: Connection, step: Step) -> None:
        started = time.perf_counter()
        try:
            value = await step(connection)
            results.append((time.monotonic(), value))
            latencies.append(time.perf_counter() - started)
        except UnexpectedAnswer as error:
            errors.add(error)
            errors.check(len(results), final=False)
        finally:
            idle.put_nowait((connection, step))

    first = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for i in range(max(1, round(rate * seconds))):
        delay = first + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        connection, step = await idle.get()
        if tasks and time.perf_counter() - first > seconds:
            idle.put_nowait((connection, step))
            break  # behind schedule: the window is over, what did not start is not started
        tasks.append(asyncio.create_task(unit(connection, step)))
    try:
        await asyncio.gather(*tasks)
    finally:
        while not idle.empty():
            await idle.get_nowait()[0].close()
    errors.check(len(results))
    return Paced(rate, results, latencies, time.perf_counter() - first, errors.count)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0
