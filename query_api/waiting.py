"""Read-your-writes: a query that names a position waits (bounded) for its views to pass it.

The wait holds no thread and costs the store little however many requests wait: one poller
per view reads the view's position with a short backoff while anyone waits on it, and
wakes each waiter whose position it has reached. Routes call `ReadYourWrites.wait` in their
body, after their dependencies have authenticated and authorised the caller, so an
anonymous or unauthorised request never waits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException

from infra.event_head import EventStoreHead
from infra.read_store import View, ViewReader
from web.headers import POSITION_HEADER, requested_position

Position = Annotated[int | None, Depends(requested_position)]

FIRST_POLL = 0.005
LAST_POLL = 0.05


class PositionWatch:
    """Wakes the waiters on one view when a poll shows their positions reached."""

    def __init__(self, read: Callable[[], Awaitable[int]]) -> None:
        self.read = read
        self._waiters: dict[asyncio.Future[None], int] = {}
        self._poller: asyncio.Task[None] | None = None
        self._delay = FIRST_POLL

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def wait(self, position: int, timeout: float) -> bool:
        """True once a poll has seen `position`, False after `timeout` seconds; a failing
        read of the position is raised to every waiter."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[waiter] = position
        self._delay = FIRST_POLL  # someone new: look again soon
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll())
        try:
            async with asyncio.timeout(timeout):
                await waiter
            return True
        except TimeoutError:
            if waiter.cancelled():
                return False  # our own time-out: the poll never showed the position
            raise  # the store's time-out, raised by the poller to every waiter
        finally:
            self._waiters.pop(waiter, None)

    async def _poll(self) -> None:
        try:
            while self._waiters:
                reached = await self.read()
                for waiter, position in list(self._waiters.items()):
                    if position <= reached:
                        self._wake(waiter)
                if not self._waiters:
                    break
                await asyncio.sleep(self._delay)
                self._delay = min(self._delay * 2, LAST_POLL)
        except Exception as error:
            for waiter in list(self._waiters):
                self._wake(waiter, error)
        finally:
            self._poller = None

    def _wake(self, waiter: asyncio.Future[None], error: Exception | None = None) -> None:
        del self._waiters[waiter]
        if not waiter.done():
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)


class ReadYourWrites:
    """Waits for views to reach a client's position: 400 at once for a position beyond the
    event store's head, 503 with Retry-After when the wait would pass the time-out or too
    many requests already wait."""

    def __init__(
        self, views: ViewReader, head: EventStoreHead, timeout: float, max_waiters: int
    ) -> None:
        self.views = views
        self.head = head
        self.timeout = timeout
        self.max_waiters = max_waiters
        self._watches: dict[View, PositionWatch] = {}

    @property
    def waiting(self) -> int:
        return sum(watch.waiting for watch in self._watches.values())

    async def wait(self, position: int | None, *views: View) -> None:
        if position is None:
            return
        arrived = time.monotonic()
        deadline = arrived + self.timeout
        for view in views:
            if await self.views.position(view) >= position:
                continue
            if not await self.head.covers(position, since=arrived):
                raise HTTPException(
                    400, f"{POSITION_HEADER} {position} is beyond the newest event in the store"
                )
            if self.waiting >= self.max_waiters:
                raise _not_yet(f"too many requests are waiting for the {view.name} view")
            if not await self._watch(view).wait(position, max(0.0, deadline - time.monotonic())):
                raise _not_yet(f"the {view.name} view has not caught up with position {position}")

    def _watch(self, view: View) -> PositionWatch:
        watch = self._watches.get(view)
        if watch is None:
            watch = self._watches[view] = PositionWatch(lambda: self.views.position(view))
        return watch


def _not_yet(detail: str) -> HTTPException:
    return HTTPException(503, f"{detail}; try again shortly", headers={"Retry-After": "1"})
