"""Request body limits, enforced while the body streams in and before anything parses it.

A declared Content-Length over the limit is refused at once; a body without one (chunked)
is counted as it arrives and refused the moment it passes the limit, so a 20 MB JSON body
costs the server at most the limit in memory, never a parse.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.errors import error_body


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a body passes its limit (FastAPI re-raises HTTPExceptions
    from body parsing untouched, so the app's handler answers 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


@dataclass(frozen=True)
class BodyLimits:
    default: int
    webhook: int
    upload: int

    def for_request(self, scope: Scope) -> int:
        path: str = scope.get("path", "")
        if path.startswith("/webhooks/"):
            return self.webhook
        for name, value in scope.get("headers", []):
            if name == b"content-type" and value.lower().startswith(b"multipart/form-data"):
                return self.upload  # image uploads
        return self.default


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_request(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(limit)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(limit)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _too_large(limit: int) -> JSONResponse:
    # Connection: close, since the rest of the body is not read.
    return JSONResponse(
        error_body(f"request body larger than {limit} bytes"),
        status_code=413,
        headers={"Connection": "close"},
    )
