"""The read-your-writes wait on its own, against an in-memory view position (no I/O): every
waiter wakes once its position is reached and never before, one poller serves them all,
and a failing read reaches every waiter. Plus the X-Event-Position header's parsing rule."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import HTTPException
from hypothesis import given, settings
from hypothesis import strategies as st

from query_api.waiting import LAST_POLL, PositionWatch
from web.headers import requested_position

GUARD = 5.0  # only a failure guard: waits normally end within a poll or two


class MovingView:
    """A view position that tests advance by hand, counting reads and their overlap."""

    def __init__(self) -> None:
        self.position = 0
        self.reads = 0
        self.reading = 0
        self.most_reading = 0
        self.failure: Exception | None = None

    async def read(self) -> int:
        self.reads += 1
        self.reading += 1
        self.most_reading = max(self.most_reading, self.reading)
        try:
            await asyncio.sleep(0)
            if self.failure is not None:
                raise self.failure
            return self.position
        finally:
            self.reading -= 1


async def polls(view: MovingView, count: int) -> None:
    """Until `count` more reads have happened (so any wrong wake-up has had its chance)."""
    target = view.reads + count
    async with asyncio.timeout(GUARD):
        while view.reads < target:
            await asyncio.sleep(LAST_POLL / 10)


@settings(max_examples=40, deadline=None)
@given(
    positions=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=25),
    steps=st.lists(st.integers(min_value=0, max_value=8), max_size=8),
)
def test_each_waiter_wakes_once_its_position_is_reached_and_never_before(
    positions: list[int], steps: list[int]
) -> None:
    async def scenario() -> None:
        view = MovingView()
        watch = PositionWatch(view.read)
        waiters = [asyncio.create_task(watch.wait(p, GUARD)) for p in positions]
        await asyncio.sleep(0)  # let them register
        for step in steps:
            await asyncio.sleep(0.001)
            view.position += step
        reached = view.position
        due = [w for w, p in zip(waiters, positions, strict=True) if p <= reached]
        if due:
            async with asyncio.timeout(GUARD):
                assert all(await asyncio.gather(*due))
        if watch.waiting:
            await polls(view, 2)
        for waiter, position in zip(waiters, positions, strict=True):
            assert waiter.done() == (position <= reached), (position, reached)
        assert watch.waiting == sum(p > reached for p in positions)

        view.position = max(positions)
        assert all(await asyncio.gather(*waiters))
        assert view.most_reading == 1  # one poller, however many waiters
        assert watch.waiting == 0

    asyncio.run(scenario())


def test_many_waiters_cost_one_read_per_poll_and_the_poller_stops_when_they_are_gone() -> None:
    async def scenario() -> None:
        view = MovingView()
        watch = PositionWatch(view.read)
        waiters = [asyncio.create_task(watch.wait(10, GUARD)) for _ in range(500)]
        await polls(view, 3)
        assert view.reads < 50  # not 500 per round
        view.position = 10
        assert all(await asyncio.gather(*waiters))
        reads = view.reads
        await asyncio.sleep(LAST_POLL * 3)
        assert view.reads == reads  # nobody waits: nobody polls

    asyncio.run(scenario())


def test_a_wait_times_out_with_false_and_is_forgotten() -> None:
    async def scenario() -> None:
        view = MovingView()
        watch = PositionWatch(view.read)
        assert await watch.wait(5, 0.1) is False
        assert watch.waiting == 0

    asyncio.run(scenario())


def test_a_failing_read_reaches_every_waiter() -> None:
    async def scenario() -> None:
        view = MovingView()
        watch = PositionWatch(view.read)
        waiters = [asyncio.create_task(watch.wait(3, GUARD)) for _ in range(5)]
        await polls(view, 1)
        view.failure = TimeoutError("the view store did not answer")
        results = await asyncio.gather(*waiters, return_exceptions=True)
        assert all(isinstance(result, TimeoutError) for result in results), results
        assert watch.waiting == 0
        # The next waiter starts a new poller, which works again once the store does.
        view.failure = None
        view.position = 3
        assert await watch.wait(3, GUARD)

    asyncio.run(scenario())


@given(st.text(max_size=25))
def test_a_position_header_is_a_plain_number_or_a_400(value: str) -> None:
    plain = value.isascii() and value.isdigit() and len(value) <= 18
    try:
        parsed = asyncio.run(requested_position(value))
    except HTTPException as error:
        assert error.status_code == 400
        assert not plain and value != ""
    else:
        assert parsed == (int(value) if value else None)
        assert plain or value == ""


@pytest.mark.parametrize("value", ["0", "7", "000123", "9" * 18])
def test_plain_numbers_are_positions(value: str) -> None:
    assert asyncio.run(requested_position(value)) == int(value)
