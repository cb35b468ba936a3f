"""The bounded pool for CPU-heavy work: what cannot start in time is refused at once, and a
job whose caller gave up is dropped before it starts. Driven by events, not by timing."""

from __future__ import annotations

import asyncio
import threading

import pytest

from infra.cpu_gate import CpuGate, Overloaded


def test_work_past_the_queue_bound_is_refused_at_once_and_abandoned_work_is_dropped() -> None:
    gate = CpuGate(workers=1, max_wait=1.0)
    gate._seconds = 0.6  # one job's learnt duration: one may wait, a second may not
    release = threading.Event()
    ran: list[str] = []

    def blocker() -> None:
        release.wait(30)
        ran.append("blocker")

    async def scenario() -> None:
        running = asyncio.ensure_future(gate.run(blocker))
        await asyncio.sleep(0)  # the blocker is admitted (and starts)
        waiting = asyncio.ensure_future(gate.run(lambda: ran.append("waiting")))
        await asyncio.sleep(0)
        with pytest.raises(Overloaded) as refused:
            await gate.run(lambda: ran.append("refused"))
        assert refused.value.retry_after >= 1
        waiting.cancel()  # its caller gave up (a deadline, a closed connection)
        release.set()
        await running
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(scenario())
    gate.close()
    assert ran == ["blocker"]  # the abandoned job never ran, the refused one never queued
    assert gate.admitted == 0
