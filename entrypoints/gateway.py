"""One origin for the whole shop: the HTTP method is the CQRS boundary.

GET and HEAD go to the query app, every other method to the command app. Browser
navigations (Accept prefers text/html) get the storefront's index.html, so the single-page
app can use the same clean paths as the API. /docs shows both apps' routes together.
/metrics is not served on this public port: `shop serve --metrics-port` (and `shop run`)
serve it on a port of its own, on loopback.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from web.response_headers import ResponseHeadersMiddleware

FRONTEND_DIST = Path(__file__).resolve().parent.parent / "frontend" / "dist"
READ_METHODS = {"GET", "HEAD"}
# Operational pages kept off the public port (served on their own port instead).
PRIVATE_PATHS = ("/metrics",)


def merged_openapi(command: FastAPI, query: FastAPI) -> dict[str, Any]:
    spec = query.openapi()
    merged = {**spec, "info": {"title": "Order platform", "version": spec["info"]["version"]}}
    paths: dict[str, Any] = {path: dict(ops) for path, ops in spec.get("paths", {}).items()}
    for path, ops in command.openapi().get("paths", {}).items():
        paths.setdefault(path, {}).update(ops)
    merged["paths"] = paths
    schemas = dict(spec.get("components", {}).get("schemas", {}))
    schemas.update(command.openapi().get("components", {}).get("schemas", {}))
    merged["components"] = {**spec.get("components", {}), "schemas": schemas}
    return merged


def _wants_html(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"accept":
            accept = value.decode("latin-1")
            first = accept.split(",")[0].strip()
            return first.startswith("text/html")
    return False


class Gateway:
    def __init__(self, command: FastAPI, query: FastAPI, frontend: Path = FRONTEND_DIST) -> None:
        self.command = command
        self.query = query
        self.frontend = frontend
        self.assets = StaticFiles(directory=frontend / "assets", check_dir=False)
        self._openapi: dict[str, Any] | None = None
        # The storefront's files get the same security headers as the APIs' answers.
        self._with_headers = ResponseHeadersMiddleware(self._dispatch)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        await self._with_headers(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.query(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        if path in PRIVATE_PATHS:
            response = JSONResponse({"detail": "not found"}, status_code=404)
            await response(scope, receive, send)
            return
        target = self._read_target(scope, path) if method in READ_METHODS else self.command
        await target(scope, receive, send)

    def _read_target(self, scope: Scope, path: str) -> ASGIApp:
        if path == "/openapi.json":
            return JSONResponse(self.openapi())
        if path == "/docs":
            return get_swagger_ui_html(openapi_url="/openapi.json", title="Order platform API")
        if path.startswith("/assets/"):
            return self._assets_app(scope)
        if path.count("/") == 1 and "." in path and (self.frontend / path[1:]).is_file():
            return FileResponse(self.frontend / path[1:])  # favicon and other root files
        if _wants_html(scope) and (self.frontend / "index.html").exists():
            return FileResponse(self.frontend / "index.html", headers={"Cache-Control": "no-cache"})
        if _wants_html(scope) and path == "/":
            return HTMLResponse(
                "<h1>Order platform</h1><p>The storefront is not built: run"
                ' <code>make frontend</code>. The API is at <a href="/docs">/docs</a>.</p>'
            )
        return self.query

    def _assets_app(self, scope: Scope) -> ASGIApp:
        scope["path"] = scope["path"].removeprefix("/assets")
        return self.assets

    def openapi(self) -> dict[str, Any]:
        if self._openapi is None:
            self._openapi = merged_openapi(self.command, self.query)
        return self._openapi

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """Run both apps' lifespans (the query app closes its async pools in its own)."""
        started = False
        try:
            async with AsyncExitStack() as stack:
                await receive()  # lifespan.startup
                for app in (self.command, self.query):
                    await stack.enter_async_context(app.router.lifespan_context(app))
                await send({"type": "lifespan.startup.complete"})
                started = True
                await receive()  # lifespan.shutdown
        except Exception as error:
            failed = "lifespan.shutdown.failed" if started else "lifespan.startup.failed"
            await send({"type": failed, "message": str(error)})
            return
        await send({"type": "lifespan.shutdown.complete"})


def create_gateway() -> Gateway:
    """The ASGI app `make run` serves: both sides in one process, sharing one set of pools."""
    from command_api.app import create_app as create_command_app
    from infra.services import Services
    from infra.settings import get_settings
    from query_api.app import create_app as create_query_app

    services = Services(get_settings())
    return Gateway(create_command_app(services), create_query_app(services))
