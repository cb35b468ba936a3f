"""Live orders: one poller per query process tells every open order stream about changes.

While anyone follows an order, the poller reads the orders view's position every
POLL_SECONDS (one tiny indexed query); when it has moved, it reads the followed orders in
one query and hands each changed row to its followers' queues. However many streams are
open, the store sees one position read per interval and one read per change; a waiting
stream holds no thread, only a queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from sqlalchemy import select

from infra.read_store import View, ViewReader
from projections.orders import orders

log = logging.getLogger("shop.query")

POLL_SECONDS = 0.2
CHUNK = 500


class OrderFeed:
    def __init__(self, views: ViewReader, view: View) -> None:
        self.views = views
        self.view = view
        self._followers: dict[UUID, set[asyncio.Queue[Any]]] = {}
        self._versions: dict[UUID, int] = {}
        self._poller: asyncio.Task[None] | None = None
        self._position = 0

    @property
    def following(self) -> int:
        return sum(len(queues) for queues in self._followers.values())

    @contextmanager
    def follow(self, order_id: UUID) -> Iterator[asyncio.Queue[Any]]:
        """A queue that receives the order's view row whenever it changes, until the block
        ends. Subscribe before reading the order, so no change falls in between."""
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=16)
        self._followers.setdefault(order_id, set()).add(queue)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll())
        try:
            yield queue
        finally:
            queues = self._followers.get(order_id)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._followers[order_id]
                    self._versions.pop(order_id, None)

    async def _poll(self) -> None:
        self._position = 0  # the first look reads every followed order once
        while self._followers:
            try:
                await self._look()
            except Exception as error:  # a store outage: streams stay open and wait
                log.warning("order feed could not read the orders view: %s", error)
            await asyncio.sleep(POLL_SECONDS)
        self._poller = None

    async def _look(self) -> None:
        position = await self.views.position(self.view)
        if position <= self._position:
            return
        ids = list(self._followers)
        async with self.views.connect() as conn:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                rows = await conn.execute(select(orders).where(orders.c.id.in_(chunk)))
                for row in rows:
                    self._deliver(row)
        self._position = position

    def _deliver(self, row: Any) -> None:
        if self._versions.get(row.id) == row.version:
            return
        self._versions[row.id] = row.version
        for queue in self._followers.get(row.id, ()):
            if queue.full():  # a follower that stopped reading only needs the newest
                queue.get_nowait()
            queue.put_nowait(row)
