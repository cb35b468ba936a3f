"""Until a process has set up its stores (they may be down at start-up), every route but the
operational ones answers 503 with Retry-After; /healthz says which store is down."""

from __future__ import annotations

import threading

from starlette.types import ASGIApp, Receive, Scope, Send

from web.errors import unavailable_response

ALWAYS_OPEN = ("/ping", "/healthz", "/openapi.json", "/docs")


class ReadinessMiddleware:
    def __init__(self, app: ASGIApp, ready: threading.Event) -> None:
        self.app = app
        self.ready = ready

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.ready.is_set() or scope["type"] != "http" or scope["path"] in ALWAYS_OPEN:
            await self.app(scope, receive, send)
            return
        response = unavailable_response("the shop is starting: a store is not answering yet", 5)
        await response(scope, receive, send)
