"""Who am I: the signed-in account (GET /protected, the original plan's auth check)."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, HTTPException

from web.app import ServicesDep
from web.auth import CurrentUser
from web.schemas import UserOut

router = APIRouter(tags=["accounts"])


@router.get("/protected", response_model=UserOut)
async def protected(user: CurrentUser, services: ServicesDep) -> UserOut:
    """The caller's account as the accounts table has it now (username and email live only
    there). The accounts store is a blocking client: this one call runs in a worker thread."""
    account = await anyio.to_thread.run_sync(services.accounts.get, user.id)
    if account is None:
        raise HTTPException(401, "account no longer exists", headers={"WWW-Authenticate": "Bearer"})
    return UserOut(id=account.id, username=account.username, email=account.email, role=user.role)
