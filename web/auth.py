"""Who is calling: bearer tokens, the signed-in user, and role checks for routes.

Every dependency here is `async def` and does no I/O: the token is verified with the secret,
and its revocation and the user's current role come from the process's access cache
(infra/access.py). So authenticating costs neither a database round trip nor a thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from infra.security import InvalidToken, TokenClaims, decode_token
from web.app import ServicesDep

_bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Principal:
    """The signed-in user as a route sees it: an id and the current role (names and emails
    are in the accounts table; a route that shows them reads it)."""

    id: UUID
    role: str


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def token_claims(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TokenClaims:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("not authenticated")
    try:
        claims = decode_token(services.settings, credentials.credentials)
    except InvalidToken as error:
        raise _unauthorized(str(error)) from None
    services.access.check_fresh()
    revoked = services.access.is_revoked
    if revoked(claims.jti) or (claims.session is not None and revoked(claims.session)):
        raise _unauthorized("token has been revoked")  # or its sign-in session logged out
    return claims


async def current_user(
    services: ServicesDep, claims: Annotated[TokenClaims, Depends(token_claims)]
) -> Principal:
    return Principal(claims.user_id, services.access.role_of(claims.user_id, claims.role))


CurrentUser = Annotated[Principal, Depends(current_user)]


def require_role(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise HTTPException(403, f"requires role: {' or '.join(roles)}")
        return user

    return check


AdminUser = Annotated[Principal, Depends(require_role("admin"))]
