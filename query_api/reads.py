"""What the query routes read through, built once per process: the views (async SQL and
Redis clients), the event store's head, and the read-your-writes waits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from infra.event_head import EventStoreHead
from infra.health import Probe
from infra.read_store import View, ViewReader
from infra.services import Services
from query_api.order_feed import OrderFeed
from query_api.waiting import ReadYourWrites

CATALOG = View("catalog")
CARTS = View("carts")
ORDERS = View("orders")
DAILY_SALES = View("daily_sales")
PRODUCT_CACHE = View("product_cache", in_redis=True)
SELLING = View("selling")


class Reads:
    def __init__(self, services: Services) -> None:
        settings = services.settings
        self.settings = settings
        self.views = ViewReader(settings)
        self.head = EventStoreHead.of(settings, services.shop.recorder)
        self.read_your_writes = ReadYourWrites(
            self.views,
            self.head,
            settings.read_your_writes_timeout,
            settings.read_your_writes_max_waiters,
        )
        self.order_feed = OrderFeed(self.views, ORDERS)

    async def caught_up(self, position: int | None, *views: View) -> None:
        """Return once every view has passed `position` (None: at once); see waiting.py."""
        await self.read_your_writes.wait(position, *views)

    def probes(self) -> dict[str, Probe | None]:
        """The stores /healthz checks, through the same async clients the routes use."""
        return {
            "event_store": self.head.newest,
            "read_store": self.views.ping_sql,
            "redis": self.views.ping_redis if self.views.redis is not None else None,
        }

    async def close(self) -> None:
        await self.views.close()
        await self.head.close()

    @asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        """Closes the pools when the server stops (they belong to its event loop)."""
        try:
            yield
        finally:
            await self.close()


async def reads_of(request: Request) -> Reads:
    return request.app.state.reads


ReadsDep = Annotated[Reads, Depends(reads_of)]
