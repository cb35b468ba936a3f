"""Rate limits (the `limits` library): per client address, and per account for /login.

Counters live in Redis when REDIS_URL is set (shared by every process), in memory
otherwise. Over a limit the answer is 429 with Retry-After and the usual JSON error. A
counter store that is down lets requests through (logged once per outage): an outage of the
rate limiter must not lock every shopper out; the passwords themselves stay bcrypt-slow.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import HTTPException, Request
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from infra.settings import Settings

log = logging.getLogger("shop.rate_limits")


class RateLimits:
    """Named limits from Settings (login, login_account, register, refresh, webhook, dev)."""

    def __init__(self, settings: Settings) -> None:
        self.trusted_proxy = settings.trusted_proxy
        self.items: dict[str, RateLimitItem] = {
            name: parse(getattr(settings, f"rate_limit_{name}"))
            for name in ("login", "login_account", "register", "refresh", "webhook", "dev")
        }
        storage: Storage
        if settings.redis_url:
            storage = RedisStorage(
                settings.redis_url.replace("redis://", "async+redis://", 1).replace(
                    "rediss://", "async+rediss://", 1
                ),
                implementation="redispy",
                key_prefix=f"{settings.redis_namespace}:limits",
                socket_timeout=settings.redis_timeout,
                socket_connect_timeout=settings.redis_timeout,
            )
        else:
            storage = MemoryStorage()
        # A moving window: "N in any minute", so no burst of 2N across a window boundary.
        self.limiter = MovingWindowRateLimiter(storage)
        self._failing = False

    def client_of(self, request: Request) -> str:
        """The peer address; behind a trusted proxy, the address that proxy put in
        X-Forwarded-For. That is the last hop: nginx (deploy/nginx.conf) appends the client
        it saw to whatever the client sent, so earlier hops are the client's own claims."""
        if self.trusted_proxy:
            forwarded = request.headers.get("x-forwarded-for", "")
            last = forwarded.split(",")[-1].strip()
            if last:
                return last
        return request.client.host if request.client else "unknown"

    async def check(self, name: str, key: str) -> None:
        """429 if `key` is already over limit `name`, without counting this request (a limit
        that counts only failures checks first, then hits on a failure)."""
        item = self.items[name]
        try:
            allowed = await self.limiter.test(item, name, key)
            if allowed:
                return
            reset = (await self.limiter.get_window_stats(item, name, key))[0]
        except Exception:
            return  # the counter store is down: hit() logs it
        retry_after = max(1, math.ceil(reset - time.time()))
        raise HTTPException(
            429,
            f"too many requests; try again in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )

    async def hit(self, name: str, key: str) -> None:
        """Count one request against `name` for `key`; 429 if it is over the limit."""
        item = self.items[name]
        try:
            allowed = await self.limiter.hit(item, name, key)
            reset = 0.0 if allowed else (await self.limiter.get_window_stats(item, name, key))[0]
        except Exception as error:  # the counter store is down: let the request through
            if not self._failing:
                log.warning("rate limits: counter store unavailable (%s); not limiting", error)
            self._failing = True
            return
        if self._failing:
            log.info("rate limits: counter store answering again")
            self._failing = False
        if not allowed:
            retry_after = max(1, math.ceil(reset - time.time()))
            raise HTTPException(
                429,
                f"too many requests; try again in {retry_after} s",
                headers={"Retry-After": str(retry_after)},
            )


def rate_limited(name: str) -> Callable[[Request], Awaitable[None]]:
    """A route dependency: count the request against limit `name` per client address."""

    async def check(request: Request) -> None:
        limits: RateLimits = request.app.state.rate_limits
        await limits.hit(name, limits.client_of(request))

    check.__name__ = f"rate_limit_{name}"
    return check


def limits_of(request: Request) -> Any:
    return request.app.state.rate_limits
