"""Registration, login, token refresh and logout. Credentials stay in the accounts table,
never in events."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from command_api.schemas import LoginIn, RegisterIn, TokenOut
from infra.accounts import AccountTaken
from infra.security import (
    InvalidToken,
    TokenClaims,
    decode_refresh_token,
    issue_refresh_token,
    issue_token,
    password_problem,
)
from web.app import ServicesDep
from web.auth import token_claims
from web.errors import InvalidInput
from web.headers import set_position
from web.rate_limits import limits_of, rate_limited
from web.schemas import UserOut

router = APIRouter(tags=["accounts"])

REFRESH_COOKIE = "shop_refresh"
REFRESH_PATH = "/auth/refresh"


@router.post(
    "/register",
    status_code=201,
    response_model=UserOut,
    dependencies=[Depends(rate_limited("register"))],
)
def register(body: RegisterIn, services: ServicesDep, response: Response) -> UserOut:
    problem = password_problem(body.password)
    if problem:
        raise InvalidInput("password", problem)
    try:
        user, position = services.cpu.run_sync(
            lambda: services.accounts.register(body.username, str(body.email), body.password)
        )
    except AccountTaken as error:
        raise HTTPException(409, str(error)) from None
    set_position(response, position)
    return UserOut.of(user)


@router.post("/login", response_model=TokenOut, dependencies=[Depends(rate_limited("login"))])
async def login(
    body: LoginIn, services: ServicesDep, request: Request, response: Response
) -> TokenOut:
    """Limited per client, and per account for failures only (its username and e-mail are
    one account), so nobody can lock a known user out with wrong passwords of their own.
    The hash runs in the bounded CPU pool: under a storm, what cannot start in time is
    refused at once (503) instead of queued past its deadline.

    The access token is in the body (the storefront keeps it in memory); a refresh token goes
    into an httpOnly cookie that only POST /auth/refresh receives."""
    limits = limits_of(request)
    credentials = await run_in_threadpool(services.accounts.credentials, body.username)
    await limits.check("login_account", credentials.limit_key)
    user = await services.cpu.run(
        lambda: services.accounts.check_password(credentials, body.password)
    )
    if user is None:
        await limits.hit("login_account", credentials.limit_key)
        raise HTTPException(
            401, "wrong username or password", headers={"WWW-Authenticate": "Bearer"}
        )
    await run_in_threadpool(services.accounts.heal, user)
    settings = services.settings
    refresh, session = issue_refresh_token(settings, user.id)
    https = request.url.scheme == "https" or (
        settings.trusted_proxy and request.headers.get("x-forwarded-proto") == "https"
    )
    _set_refresh_cookie(response, refresh, settings.refresh_token_lifetime_seconds, https)
    token, lifetime = issue_token(settings, user.id, user.role, session.jti)
    return TokenOut(access_token=token, expires_in=lifetime)


@router.post(
    "/auth/refresh", response_model=TokenOut, dependencies=[Depends(rate_limited("refresh"))]
)
async def refresh(
    services: ServicesDep,
    response: Response,
    refresh_token: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
) -> TokenOut:
    """A new access token for the sign-in session in the refresh cookie (after a reload)."""
    if not refresh_token:
        raise _refused("not signed in")
    try:
        session = decode_refresh_token(services.settings, refresh_token)
    except InvalidToken as error:
        raise _refused(str(error)) from None
    services.access.check_fresh()
    if services.access.is_revoked(session.jti):
        raise _refused("signed out")
    user = await run_in_threadpool(services.accounts.get, session.user_id)
    if user is None:
        raise _refused("no such account")
    role = services.access.role_of(user.id, user.role)
    token, lifetime = issue_token(services.settings, user.id, role, session.jti)
    return TokenOut(access_token=token, expires_in=lifetime)


@router.post("/logout", status_code=204, response_class=Response)
def logout(
    services: ServicesDep, claims: Annotated[TokenClaims, Depends(token_claims)]
) -> Response:
    """Revoke this token and its sign-in session (the refresh token): events other processes
    learn from the log; this one at once."""
    expires_at = datetime.fromtimestamp(claims.expires_at, UTC)
    position = services.shop.revoke_token(claims.jti, claims.user_id, expires_at)
    services.access.revoked(claims.jti, claims.expires_at)
    if claims.session is not None:
        # The refresh token's own expiry is not in the access token: this bound is later.
        until = int(time.time()) + services.settings.refresh_token_lifetime_seconds
        position = services.shop.revoke_token(
            claims.session, claims.user_id, datetime.fromtimestamp(until, UTC)
        )
        services.access.revoked(claims.session, until)
    response = Response(status_code=204)
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_PATH, httponly=True, samesite="strict")
    set_position(response, position)
    return response


def _set_refresh_cookie(response: Response, token: str, max_age: int, https: bool) -> None:
    """httpOnly (no script reads it), SameSite=Strict (no other site sends it), scoped to the
    refresh route, and Secure when the shop is served over HTTPS (directly, or behind a
    trusted proxy that says so in X-Forwarded-Proto)."""
    response.set_cookie(
        REFRESH_COOKIE,
        token,
        max_age=max_age,
        path=REFRESH_PATH,
        httponly=True,
        samesite="strict",
        secure=https,
    )


def _refused(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})
