"""Headers on every answer: security headers, and no caching of API JSON.

API paths coincide with the storefront's page paths (/cart, /orders/{id}), so a browser
must never keep an API answer and show it for a page (Back after logging out showed a raw
cart or order): JSON answers say `Cache-Control: no-store` and `Vary: Accept` (the same path
answers HTML to a navigation). The Content-Security-Policy still lets Stripe.js load.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STRIPE_JS = "https://js.stripe.com"
# Stripe.js: its script, its iframes (Payment Element, 3-D Secure) and its API calls.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' {STRIPE_JS}",
        f"frame-src {STRIPE_JS} https://hooks.stripe.com",
        "connect-src 'self' https://api.stripe.com",
        "img-src 'self' data: https://*.stripe.com",
        "style-src 'self' 'unsafe-inline'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# /docs (Swagger UI) loads its script and styles from a CDN.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net;"
    " style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net;"
    " img-src 'self' data: https://fastapi.tiangolo.com; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


# Pages of ours that are not API JSON: documentation (revalidated, the API changes with each
# release) and metrics (never kept).
UNCACHED_PATHS = {"/docs": "no-cache", "/redoc": "no-cache", "/metrics": "no-store"}


class ResponseHeadersMiddleware:
    """Adds what an answer lacks (idempotent: the gateway and the apps may both apply it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path")
        docs = path == "/docs"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                add_headers(headers, docs, scope.get("scheme") == "https")
                if path in UNCACHED_PATHS:
                    headers.setdefault("Cache-Control", UNCACHED_PATHS[path])
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_headers(headers: MutableHeaders, docs: bool = False, https: bool = False) -> None:
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    headers.setdefault(
        "Content-Security-Policy", DOCS_CONTENT_SECURITY_POLICY if docs else CONTENT_SECURITY_POLICY
    )
    if https:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if headers.get("content-type", "").startswith("application/json"):
        headers["Cache-Control"] = "no-store"
        vary = [item.strip() for item in headers.get("vary", "").split(",") if item.strip()]
        if "accept" not in (item.lower() for item in vary):
            headers["Vary"] = ", ".join([*vary, "Accept"])
