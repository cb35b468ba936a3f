"""What both FastAPI apps share: errors as JSON, auth dependencies, positions, health."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Annotated, Any

from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
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
from infra.accounts import User
from infra.health import check_dependencies
from infra.security import InvalidToken, TokenClaims, decode_token
from infra.services import Services

log = logging.getLogger("shop.http")

POSITION_HEADER = "X-Event-Position"

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


def services_of(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(services_of)]


def create_base_app(title: str, services: Services) -> FastAPI:
    """A FastAPI app with the shop's error handling, CORS and operational routes."""
    app = FastAPI(title=title, responses=ERROR_RESPONSES)
    app.state.services = services
    settings = services.settings
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "Idempotency-Key",
                POSITION_HEADER,
            ],
            expose_headers=[POSITION_HEADER, "ETag", "Location", "Retry-After"],
        )
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(SqlOperationalError, _unavailable)
    # Redis's connection errors are not the built-in ones: without these, an outage is a 500.
    app.add_exception_handler(RedisConnectionError, _unavailable)
    app.add_exception_handler(RedisTimeoutError, _unavailable)
    # Likewise the event store's: a specific handler keeps the connection open for the client.
    for error in (StoreOperationalError, StoreInterfaceError, ConnectionError, TimeoutError):
        app.add_exception_handler(error, _unavailable)
    app.add_exception_handler(Exception, _unexpected)
    app.include_router(ops_router)
    return app


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


# -- operations ------------------------------------------------------------------------------

ops_router = APIRouter(tags=["operations"])


class HealthOut(BaseModel):
    status: str
    checks: dict[str, str]


@ops_router.get("/ping", response_model=str)
def ping() -> str:
    return "pong"


@ops_router.get("/healthz", response_model=HealthOut, responses={503: {"model": HealthOut}})
def healthz(services: ServicesDep, response: Response) -> HealthOut:
    checks = check_dependencies(services)
    healthy = all(value in ("ok", "not configured") for value in checks.values())
    response.status_code = 200 if healthy else 503
    return HealthOut(status="ok" if healthy else "degraded", checks=checks)


# -- authentication ---------------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def token_claims(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TokenClaims:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("not authenticated")
    try:
        claims = decode_token(services.settings, credentials.credentials)
    except InvalidToken as error:
        raise _unauthorized(str(error)) from None
    if services.accounts.is_revoked(claims.jti):
        raise _unauthorized("token has been revoked")
    return claims


def current_user(
    services: ServicesDep, claims: Annotated[TokenClaims, Depends(token_claims)]
) -> User:
    user = services.accounts.get(claims.user_id)
    if user is None:
        raise _unauthorized("account no longer exists")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(*roles: str) -> Callable[[User], User]:
    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise HTTPException(403, f"requires role: {' or '.join(roles)}")
        return user

    return check


AdminUser = Annotated[User, Depends(require_role("admin"))]

# A client's key for retrying a command safely: the same key names the same result.
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)
]


# -- positions and versions -------------------------------------------------------------------


def set_position(response: Response, position: int) -> None:
    response.headers[POSITION_HEADER] = str(position)


def requested_position(
    x_event_position: Annotated[str | None, Header(alias=POSITION_HEADER)] = None,
) -> int | None:
    if x_event_position is None or x_event_position == "":
        return None
    # isascii: str.isdigit() also accepts "²"; the length keeps int() and the databases happy.
    if not (
        x_event_position.isascii() and x_event_position.isdigit() and len(x_event_position) <= 18
    ):
        raise HTTPException(400, f"{POSITION_HEADER} must be a non-negative integer")
    return int(x_event_position)


_ETAG = re.compile(r'^(?:W/)?"?(\d{1,18})"?$')


def expected_version(
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> int | None:
    """The version named by If-Match ("3", W/"3" or 3); None for no header or "*"."""
    if if_match is None or if_match.strip() == "*":
        return None
    match = _ETAG.match(if_match.strip())
    if match is None:
        raise HTTPException(400, 'If-Match must be an ETag such as "3"')
    return int(match.group(1))


def etag(version: int) -> str:
    return f'"{version}"'
