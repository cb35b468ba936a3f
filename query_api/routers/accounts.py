"""Who am I: the signed-in account (GET /protected, the original plan's auth check)."""

from __future__ import annotations

from fastapi import APIRouter

from web.auth import CurrentUser
from web.schemas import UserOut

router = APIRouter(tags=["accounts"])


@router.get("/protected", response_model=UserOut)
def protected(user: CurrentUser) -> UserOut:
    return UserOut.of(user)
