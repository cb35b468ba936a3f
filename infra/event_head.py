"""The event store's head (its newest notification id), read asynchronously by the query side.

Read-your-writes uses it to refuse, at once, a position no command can have returned. A
refusal must rest on a read that began after the request arrived: the client was given its
position only after the event committed, so such a read sees it, while any earlier cached
value might not (and would turn a fresh, honest position into a 400). Concurrent askers share
one read in flight, and reads start at most every MIN_INTERVAL seconds, so a flood of bogus
positions costs the event store one tiny query every few milliseconds at most.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db import make_async_engine
from infra.settings import Settings

MIN_INTERVAL = 0.005


def head_statement(recorder: Any) -> str:
    """SELECT MAX(notification id) for the eventsourcing recorder's own events table."""
    sqlite_statement = getattr(recorder, "select_max_notification_id_statement", None)
    if isinstance(sqlite_statement, str):
        return sqlite_statement
    schema = _quoted(recorder.datastore.schema)
    table = _quoted(recorder.events_table_name)
    return f"SELECT MAX(notification_id) FROM {schema}.{table}"


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class EventStoreHead:
    def __init__(self, engine: AsyncEngine, statement: str, timeout: float) -> None:
        self.engine = engine
        self.statement = text(statement)
        self.timeout = timeout
        self._head = 0
        self._read_started = float("-inf")  # when the read behind `_head` began (monotonic)
        self._last_start = float("-inf")
        self._reading: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, settings: Settings, recorder: Any) -> EventStoreHead:
        # One connection is enough: reads never overlap.
        engine = make_async_engine(settings.event_store_url, 1, settings.read_store_timeout)
        return cls(engine, head_statement(recorder), settings.read_store_timeout)

    async def covers(self, position: int, since: float) -> bool:
        """True if the store holds `position`, judged by a read that began at or after
        `since` (time.monotonic() when the request arrived) unless a cached head suffices."""
        while self._head < position and self._read_started < since:
            await self.refresh()
        return self._head >= position

    async def newest(self) -> int:
        """The head as of a read begun now (health checks)."""
        since = time.monotonic()
        while self._read_started < since:
            await self.refresh()
        return self._head

    async def refresh(self) -> None:
        """Join the read in flight, or start one."""
        if self._reading is None:
            self._reading = asyncio.create_task(self._read())
            # Retrieved here too, so a failed read whose askers all left logs no warning.
            self._reading.add_done_callback(lambda task: task.cancelled() or task.exception())
        await asyncio.shield(self._reading)

    async def _read(self) -> None:
        try:
            pause = self._last_start + MIN_INTERVAL - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            started = self._last_start = time.monotonic()
            async with asyncio.timeout(self.timeout), self.engine.connect() as conn:
                value = await conn.scalar(self.statement)
            self._head = max(self._head, int(value or 0))
            self._read_started = max(self._read_started, started)
        finally:
            self._reading = None

    async def close(self) -> None:
        await self.engine.dispose()
