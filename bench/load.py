"""A bounded HTTP load: a fixed number of requests from a few keep-alive clients."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

Request = Callable[[httpx.Client, int], httpx.Response]


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return round(ordered[index] * 1000, 2)

    def details(self) -> dict[str, float | int | str]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "p50 ms": self.percentile_ms(50),
            "p99 ms": self.percentile_ms(99),
        }


class UnexpectedAnswer(RuntimeError):
    pass


def drive(
    url: str,
    request: Request,
    count: int,
    concurrency: int,
    expect: int,
    warmup: int = 0,
    headers: dict[str, str] | None = None,
) -> Load:
    """Send `count` requests (after `warmup` untimed ones) from `concurrency` clients; every
    answer must have status `expect`, or the run stops (a benchmark of errors is worthless)."""
    clients = [httpx.Client(base_url=url, timeout=30, headers=headers) for _ in range(concurrency)]
    try:
        for i in range(warmup):
            _check(request(clients[i % concurrency], i), expect)
        counter = itertools.count()  # next() on it is atomic under the GIL

        def run(client: httpx.Client) -> list[float]:
            latencies = []
            while (i := next(counter)) < count:
                started = time.perf_counter()
                answer = request(client, warmup + i)
                latencies.append(time.perf_counter() - started)
                _check(answer, expect)
            return latencies

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            per_client = list(pool.map(run, clients))
        seconds = time.perf_counter() - started
    finally:
        for client in clients:
            client.close()
    return Load(count, seconds, [t for latencies in per_client for t in latencies])


def _check(answer: httpx.Response, expect: int) -> None:
    if answer.status_code != expect:
        raise UnexpectedAnswer(
            f"{answer.request.method} {answer.request.url.path}: {answer.status_code}"
            f" {answer.text[:300]}"
        )


def best_of(rounds: int, runs: dict[str, Callable[[], Load]]) -> dict[str, Load]:
    """Run the variants in turn, `rounds` times over, and keep each one's fastest round, so a
    burst of noise on the machine hurts one round rather than one variant."""
    best: dict[str, Load] = {}
    for _ in range(rounds):
        for label, run in runs.items():
            load = run()
            if label not in best or load.rate > best[label].rate:
                best[label] = load
    return best
