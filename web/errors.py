"""Errors as JSON: one model, the right status for each kind of failure, never a trace.

Every 4xx/5xx body is ErrorOut: `{"detail": "one sentence", "errors": [...]}`, with `errors`
(one entry per invalid input) on 422s. The OpenAPI document says exactly that: FastAPI's own
HTTPValidationError (an array `detail`) is replaced on every route (see ERROR_RESPONSES).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pymysql.err import InterfaceError as PyMySQLInterfaceError
from pymysql.err import OperationalError as PyMySQLOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError as SqlInterfaceError
from sqlalchemy.exc import OperationalError as SqlOperationalError
from sqlalchemy.exc import TimeoutError as SqlPoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import (
    DomainError,
    InvalidCommand,
    InvalidFields,
    NotFound,
    StaleVersion,
    StateConflict,
    VersionRequired,
)
from infra.access import AccessUnavailable
from infra.cpu_gate import Overloaded

log = logging.getLogger("shop.http")

_STATUS_BY_ERROR: list[tuple[type[DomainError], int]] = [
    (StaleVersion, 412),
    (VersionRequired, 428),
    (StateConflict, 409),
    (NotFound, 404),
    (InvalidCommand, 422),
]


class FieldError(BaseModel):
    """One invalid input: `field` is the input's name (body field, query or header name)."""

    field: str
    message: str
    loc: list[str | int]
    type: str


class ErrorOut(BaseModel):
    """The one error body of the shop's API, for every 4xx and 5xx."""

    detail: str
    errors: list[FieldError] | None = None


# Documented on every route: each can be refused for these reasons (bad input, auth, limits,
# a store that is down), so a client or a fuzzer finds every answer it can get in the document.
ERROR_STATUSES = (400, 401, 403, 404, 409, 412, 413, 422, 428, 429, 500, 503)
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in ERROR_STATUSES
}

RETRY_AFTER_SECONDS = 2


class InvalidInput(Exception):
    """A 422 about one named input, raised where Pydantic cannot see the rule."""

    def __init__(self, field: str, message: str, where: str = "body") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.where = where


def error_body(detail: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return body


def unavailable_response(detail: str, retry_after: int = RETRY_AFTER_SECONDS) -> JSONResponse:
    return JSONResponse(
        error_body(detail), status_code=503, headers={"Retry-After": str(retry_after)}
    )


def outcome_unknown_response(timeout: float) -> JSONResponse:
    """A command whose answer had not begun by its deadline: it may still take effect."""
    return JSONResponse(
        error_body(
            f"no answer within {timeout:g} s: the outcome is unknown; retry with the same"
            " Idempotency-Key to learn it (it will not be done twice)"
        ),
        status_code=504,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


# Every command can answer 504 (its deadline passed, its outcome unknown yet).
COMMAND_RESPONSES: dict[int | str, dict[str, Any]] = {
    504: {"model": ErrorOut, "description": "Outcome unknown: retry with the same key"}
}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(InvalidInput, _invalid_input)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(SqlOperationalError, _unavailable)
    app.add_exception_handler(SqlInterfaceError, _unavailable)
    # A full pool ("QueuePool limit ... reached"): the store is busy, try again shortly.
    app.add_exception_handler(SqlPoolTimeout, _unavailable)
    # Redis's connection errors are not the built-in ones: without these, an outage is a 500.
    app.add_exception_handler(RedisConnectionError, _unavailable)
    app.add_exception_handler(RedisTimeoutError, _unavailable)
    # Likewise the event store's: a specific handler keeps the connection open for the client.
    for error in (StoreOperationalError, StoreInterfaceError, ConnectionError, TimeoutError):
        app.add_exception_handler(error, _unavailable)
    app.add_exception_handler(AccessUnavailable, _unavailable)
    # The async drivers' own errors when a pooled connection was closed under them: raised
    # unwrapped by aiomysql, and as a RuntimeError by uvloop's transport.
    app.add_exception_handler(PyMySQLOperationalError, _unavailable)
    app.add_exception_handler(PyMySQLInterfaceError, _unavailable)
    app.add_exception_handler(RuntimeError, _runtime_error)  # type: ignore[arg-type]
    app.add_exception_handler(Overloaded, _overloaded)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


async def _domain_error(request: Request, error: DomainError) -> JSONResponse:
    if isinstance(error, InvalidFields):
        items = [
            {
                "field": field,
                "message": message,
                "loc": ["body", *field.split(".")],
                "type": "value_error",
            }
            for field, message in error.errors
        ]
        first = error.errors[0] if error.errors else ("body", "invalid")
        return JSONResponse(error_body(f"{first[0]}: {first[1]}", items), status_code=422)
    for cls, status in _STATUS_BY_ERROR:
        if isinstance(error, cls):
            errors: list[dict[str, Any]] | None = (
                [] if status == 422 else None
            )  # a rule of the shop, not one input's shape
            return JSONResponse(error_body(str(error), errors), status_code=status)
    return JSONResponse(error_body(str(error)), status_code=400)


def _field_error(item: dict[str, Any]) -> dict[str, Any]:
    """Pydantic's error without the rejected value (it may be a password)."""
    loc = [part if isinstance(part, int) else str(part) for part in item.get("loc", ())]
    names = [part for part in loc if isinstance(part, str)]
    # ("body", "password") -> password; ("query", "limit") -> limit; ("body",) -> body
    field = names[-1] if len(names) > 1 else (names[0] if names else "body")
    if len(names) > 1 and names[0] == "body":
        field = ".".join(names[1:])
    message = str(item.get("msg", "invalid value")).removeprefix("Value error, ")
    return {"field": field, "message": message, "loc": loc, "type": str(item.get("type", ""))}


async def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    """Unparseable JSON is malformed (400); well-formed but wrong values are invalid (422)."""
    raw = error.errors()
    if any(item.get("type") == "json_invalid" for item in raw):
        return JSONResponse(error_body("request body is not valid JSON"), status_code=400)
    errors = [_field_error(item) for item in raw]
    first = errors[0] if errors else None
    detail = f"{first['field']}: {first['message']}" if first else "invalid request"
    return JSONResponse(error_body(detail, errors), status_code=422)


async def _invalid_input(request: Request, error: InvalidInput) -> JSONResponse:
    item = {
        "field": error.field,
        "message": error.message,
        "loc": [error.where, error.field],
        "type": "value_error",
    }
    return JSONResponse(error_body(f"{error.field}: {error.message}", [item]), status_code=422)


async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    """HTTPException as the one model; a 422 raised by hand still lists its input."""
    detail = error.detail if isinstance(error.detail, str) else "request refused"
    errors: list[dict[str, Any]] | None = [] if error.status_code == 422 else None
    return JSONResponse(
        error_body(detail, errors), status_code=error.status_code, headers=error.headers
    )


UNAVAILABLE_LOG_INTERVAL = 30.0
_unavailable_logged: dict[str, float] = {}


async def _unavailable(request: Request, error: Exception) -> JSONResponse:
    # One line per kind of failure every half minute while it lasts, not one per request.
    kind = type(error).__name__
    now = time.monotonic()
    if now - _unavailable_logged.get(kind, float("-inf")) > UNAVAILABLE_LOG_INTERVAL:
        _unavailable_logged[kind] = now
        first_line = (str(error).splitlines() or [""])[0]
        log.warning("dependency unavailable (%s): %s", kind, first_line)
    return unavailable_response("a storage service is unavailable; try again shortly")


def is_closed_connection(error: BaseException) -> bool:
    """uvloop's RuntimeError for a write on a transport that closed under the driver."""
    text = str(error)
    return isinstance(error, RuntimeError) and (
        "unable to perform operation on" in text or "closed=True" in text
    )


async def _runtime_error(request: Request, error: RuntimeError) -> JSONResponse:
    if is_closed_connection(error):
        return await _unavailable(request, error)
    return await _unexpected(request, error)


async def _overloaded(request: Request, error: Overloaded) -> JSONResponse:
    return unavailable_response(str(error), error.retry_after)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(error_body("internal error"), status_code=500)
