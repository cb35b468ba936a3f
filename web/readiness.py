"""Until a process has set up its stores (they may be down at start-up), every route but the
operational ones answers 503 with Retry-After; /healthz says which store is down. Inputs
holding control characters are refused here too, before any route sees them
(web/input_guard.py)."""

from __future__ import annotations

import threading

from starlette.types import ASGIApp, Receive, Scope, Send

from web.errors import unavailable_response
from web.input_guard import refusal

ALWAYS_OPEN = ("/ping", "/healthz", "/openapi.json", "/docs")


class ReadinessMiddleware:
    def __init__(self, app: ASGIApp, ready: threading.Event) -> None:
        self.app = app
        self.ready = ready

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refused = refusal(scope)
            if refused is not None:
                await refused(scope, receive, send)
                return
        if self.ready.is_set() or scope["type"] != "http" or scope["path"] in ALWAYS_OPEN:
            await self.app(scope, receive, send)
            return
        response = unavailable_response("the shop is starting: a store is not answering yet", 5)
        await response(scope, receive, send)
