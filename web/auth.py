"""Who is calling: bearer tokens, the signed-in user, and role checks for routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from infra.accounts import User
from infra.security import InvalidToken, TokenClaims, decode_token
from web.app import ServicesDep

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
