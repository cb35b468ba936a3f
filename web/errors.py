"""Errors as JSON: one model, the right status for each kind of failure, never a trace."""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import OperationalError as SqlOperationalError

from domain.errors import (
    DomainError,
    InvalidCommand,
    NotFound,
    StaleVersion,
    StateConflict,
    VersionRequired,
)
from infra.access import AccessUnavailable

log = logging.getLogger("shop.http")

_STATUS_BY_ERROR: list[tuple[type[DomainError], int]] = [
    (StaleVersion, 412),
    (VersionRequired, 428),
    (StateConflict, 409),
    (NotFound, 404),
    (InvalidCommand, 422),
]


class ErrorOut(BaseModel):
    detail: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (400, 401, 403, 404, 409, 412, 428, 503)
}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(SqlOperationalError, _unavailable)
    # Redis's connection errors are not the built-in ones: without these, an outage is a 500.
    app.add_exception_handler(RedisConnectionError, _unavailable)
    app.add_exception_handler(RedisTimeoutError, _unavailable)
    # Likewise the event store's: a specific handler keeps the connection open for the client.
    for error in (StoreOperationalError, StoreInterfaceError, ConnectionError, TimeoutError):
        app.add_exception_handler(error, _unavailable)
    app.add_exception_handler(AccessUnavailable, _unavailable)
    app.add_exception_handler(Exception, _unexpected)


async def _domain_error(request: Request, error: DomainError) -> JSONResponse:
    for cls, status in _STATUS_BY_ERROR:
        if isinstance(error, cls):
            return JSONResponse({"detail": str(error)}, status_code=status)
    return JSONResponse({"detail": str(error)}, status_code=400)


async def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    """Unparseable JSON is malformed (400); well-formed but wrong values are invalid (422)."""
    errors = error.errors()
    if any(item.get("type") == "json_invalid" for item in errors):
        return JSONResponse({"detail": "request body is not valid JSON"}, status_code=400)
    # Never echo the rejected values: one of them may be a password.
    errors = [{key: value for key, value in item.items() if key != "input"} for item in errors]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


async def _unavailable(request: Request, error: Exception) -> JSONResponse:
    log.warning("dependency unavailable: %s", error)
    return JSONResponse(
        {"detail": "a storage service is unavailable; try again shortly"},
        status_code=503,
        headers={"Retry-After": "2"},
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "internal error"}, status_code=500)
