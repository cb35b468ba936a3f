"""Control characters never reach a store: one check for every route's query parameters,
headers and path, before any of them is parsed (a NUL in a search made PostgreSQL fail).

A query parameter or header holding a C0 control character or DEL (tab allowed in header
values, as HTTP allows) is a 422 naming it; a path holding one is a 400.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote_to_bytes

from starlette.responses import JSONResponse
from starlette.types import Scope

from web.errors import error_body

_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")
_HEADER_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def refusal(scope: Scope) -> JSONResponse | None:
    """The answer refusing this request's inputs, or None when they are clean."""
    query = scope.get("query_string", b"")
    assert isinstance(query, bytes)
    if query and _CONTROL.search(unquote_to_bytes(query.replace(b"+", b" "))):
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if _TEXT_CONTROL.search(name) or _TEXT_CONTROL.search(value):
                return _invalid("query", _printable(name))
        return _invalid("query", "query")
    for name, value in scope.get("headers", ()):
        if _HEADER_CONTROL.search(value):
            return _invalid("header", name.decode("latin-1"))
    path = scope.get("path", "")
    if isinstance(path, str) and _TEXT_CONTROL.search(path):
        return JSONResponse(error_body("control characters are not allowed in the path"), 400)
    return None


def _printable(name: str) -> str:
    return _TEXT_CONTROL.sub("?", name)[:100] or "query"


def _invalid(where: str, field: str) -> JSONResponse:
    message = "control characters are not allowed"
    item = {"field": field, "message": message, "loc": [where, field], "type": "value_error"}
    return JSONResponse(error_body(f"{field}: {message}", [item]), status_code=422)
