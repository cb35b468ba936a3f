"""Who am I: the signed-in account (GET /protected, the original plan's auth check)."""

from __future__ import annotations

from fastapi import APIRouter

from infra.http import CurrentUser
from query_api.schemas import UserView

router = APIRouter(tags=["accounts"])


@router.get("/protected", response_model=UserView)
def protected(user: CurrentUser) -> UserView:
    return UserView(id=user.id, username=user.username, email=user.email, role=user.role)
