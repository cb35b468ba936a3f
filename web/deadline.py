"""A deadline on every request: an answer has begun within REQUEST_TIMEOUT seconds, or the
client gets 503 with Retry-After (a read: nothing happened, try again) or 504 (a command:
its outcome is not known yet, so "try again" would be wrong advice).

Each store call has its own, shorter time-out; this is the bound that holds whatever hangs
(a pool whose every connection is stuck, a retry loop inside a library). A blocking handler
cannot be stopped in its thread: it goes on to a recorded outcome on its own time-outs (a
refund recorded as submitted, failed or unknown; an order placed), and whatever it would
still send is dropped. The client learns that outcome by retrying with the same
Idempotency-Key (every money command is named by one, given or derived).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.errors import outcome_unknown_response, unavailable_response

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

log = logging.getLogger("shop.http")


class RequestDeadlineMiddleware:
    def __init__(self, app: ASGIApp, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        abandoned = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if abandoned:
                return  # the client already has its 503
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.timeout)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task in done or started:
            await task  # finished, or streaming an answer that has begun: let it finish
            return
        abandoned = True
        task.cancel()
        task.add_done_callback(_retrieve)
        log.warning("%s %s: no answer within %g s", scope["method"], scope["path"], self.timeout)
        if scope["method"] in SAFE_METHODS:
            response = unavailable_response(f"no answer within {self.timeout:g} s; try again")
        else:
            response = outcome_unknown_response(self.timeout)
        await response(scope, receive, send)


def _retrieve(task: asyncio.Future[None]) -> None:
    with contextlib.suppress(BaseException):
        task.exception()
