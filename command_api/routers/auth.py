"""Registration, login and logout. Credentials stay in the accounts table, never in events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from command_api.schemas import LoginIn, RegisterIn, TokenOut
from infra.accounts import AccountTaken
from infra.security import TokenClaims, issue_token, password_problem
from web.app import ServicesDep
from web.auth import token_claims
from web.errors import InvalidInput
from web.headers import set_position
from web.rate_limits import limits_of, rate_limited
from web.schemas import UserOut

router = APIRouter(tags=["accounts"])


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
        user, position = services.accounts.register(body.username, str(body.email), body.password)
    except AccountTaken as error:
        raise HTTPException(409, str(error)) from None
    set_position(response, position)
    return UserOut.of(user)


@router.post("/login", response_model=TokenOut, dependencies=[Depends(rate_limited("login"))])
async def login(body: LoginIn, services: ServicesDep, request: Request) -> TokenOut:
    """Limited per client and per account named (each attempt costs a bcrypt hash)."""
    await limits_of(request).hit("login_account", body.username.strip().lower())
    user = await run_in_threadpool(services.accounts.authenticate, body.username, body.password)
    if user is None:
        raise HTTPException(
            401, "wrong username or password", headers={"WWW-Authenticate": "Bearer"}
        )
    token, lifetime = issue_token(services.settings, user.id, user.role)
    return TokenOut(access_token=token, expires_in=lifetime)


@router.post("/logout", status_code=204, response_class=Response)
def logout(
    services: ServicesDep, claims: Annotated[TokenClaims, Depends(token_claims)]
) -> Response:
    """Revoke this token: an event other processes learn from the log; this one at once."""
    expires_at = datetime.fromtimestamp(claims.expires_at, UTC)
    position = services.shop.revoke_token(claims.jti, claims.user_id, expires_at)
    services.access.revoked(claims.jti, claims.expires_at)
    response = Response(status_code=204)
    set_position(response, position)
    return response
