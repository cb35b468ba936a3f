"""Stripe's request rate, shared by checkout and reconciliation.

Stripe limits requests per second per account (25 in test mode, 100 in live mode). Every
call the shop makes counts against STRIPE_RATE_LIMIT in one moving window; checkout never
waits on it (a shopper is paying), while reconciliation waits until its own window (at most
RECONCILE_STRIPE_SHARE of the limit) and the shared one both have room, so a long round can
never crowd checkouts out into Stripe's 429s. Counted in Redis when REDIS_URL is set (all
processes share one budget), in memory per process otherwise.
"""

from __future__ import annotations

import logging
import math
import threading
import time

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from infra.settings import Settings

log = logging.getLogger("shop.stripe_budget")


class StripeBudget:
    def __init__(self, settings: Settings, clock_step: float = 0.05) -> None:
        limit = settings.stripe_rate_limit
        self.total = RateLimitItemPerSecond(limit)
        self.share = RateLimitItemPerSecond(
            max(1, math.floor(limit * settings.reconcile_stripe_share))
        )
        storage: Storage = (
            RedisStorage(
                settings.redis_url,
                key_prefix=f"{settings.redis_namespace}:stripe",
                socket_timeout=settings.redis_timeout,
                socket_connect_timeout=settings.redis_timeout,
            )
            if settings.redis_url
            else MemoryStorage()
        )
        self.limiter = MovingWindowRateLimiter(storage)
        self.step = clock_step
        self._failing = False

    def spend(self, calls: int = 1) -> None:
        """Count calls made now (any caller; never waits)."""
        try:
            self.limiter.hit(self.total, "all", cost=calls)
        except Exception as error:  # the counter store is down: count nothing, block nothing
            self._down(error)

    def wait_for_share(self, calls: int, stop: threading.Event | None = None) -> None:
        """Block until reconciliation may make `calls` calls within its share and the shared
        window has room for them; then count them in both."""
        while True:
            try:
                if self.limiter.test(self.total, "all", cost=calls) and self.limiter.hit(
                    self.share, "reconcile", cost=calls
                ):
                    self.limiter.hit(self.total, "all", cost=calls)
                    return
            except Exception as error:
                self._down(error)
                return
            if stop is not None and stop.is_set():
                return
            time.sleep(self.step)

    def _down(self, error: Exception) -> None:
        if not self._failing:
            log.warning("Stripe budget: counter store unavailable (%s); not pacing", error)
        self._failing = True
