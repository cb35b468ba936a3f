"""CPU-heavy work (bcrypt) in a bounded pool with a bounded queue, so overload sheds early.

A login storm must not queue every hash behind every other: a request that cannot start its
hash within `max_wait` seconds (judged from the hashes ahead of it and how long one takes
here) is refused at once (Overloaded: 503 with Retry-After), and a hash whose caller gave up
(its deadline passed, the client left) is dropped before it starts. What is admitted runs at
the machine's hash rate and answers well within the request deadline.
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class Overloaded(Exception):
    """Too much CPU work is waiting: refuse this request now (503) instead of late."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("the shop is busy; try again shortly")
        self.retry_after = retry_after


class CpuGate:
    def __init__(self, workers: int | None = None, max_wait: float = 3.0) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.max_wait = max_wait
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="cpu")
        self._lock = threading.Lock()
        self._admitted = 0  # running or waiting
        self._seconds = 0.05  # one job's duration, learnt as jobs run (moving average)

    @property
    def admitted(self) -> int:
        return self._admitted

    def _admit(self) -> None:
        with self._lock:
            rounds_ahead = self._admitted // self.workers
            if rounds_ahead * self._seconds > self.max_wait:
                raise Overloaded(max(1, math.ceil(rounds_ahead * self._seconds)))
            self._admitted += 1

    def _done(self, _: object) -> None:
        with self._lock:
            self._admitted -= 1

    def _timed(self, job: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return job()
        finally:
            elapsed = time.perf_counter() - started
            with self._lock:
                self._seconds += (elapsed - self._seconds) * 0.2

    def _submit(self, job: Callable[[], T]) -> Future[T]:
        self._admit()
        future = self._executor.submit(self._timed, job)
        future.add_done_callback(self._done)
        return future

    async def run(self, job: Callable[[], T]) -> T:
        """Run `job` in the pool; Overloaded if it could not start in time. Cancelling the
        caller drops the job if it has not started."""
        future = self._submit(job)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            future.cancel()
            raise

    def run_sync(self, job: Callable[[], T]) -> T:
        """The same from a thread (a plain `def` route)."""
        return self._submit(job).result()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
