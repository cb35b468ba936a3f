"""Who am I: the signed-in account (GET /protected, the original plan's auth check)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from web.app import ServicesDep
from web.auth import CurrentUser
from web.schemas import UserOut

router = APIRouter(tags=["accounts"])


@router.get("/protected", response_model=UserOut)
def protected(user: CurrentUser, services: ServicesDep) -> UserOut:
    # Authentication needs no database; showing the name and email does.
    account = services.accounts.get(user.id)
    if account is None:
        raise HTTPException(401, "account no longer exists", headers={"WWW-Authenticate": "Bearer"})
    return UserOut(id=account.id, username=account.username, email=account.email, role=user.role)
