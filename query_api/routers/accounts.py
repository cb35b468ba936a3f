"""Who am I: the signed-in account (GET /protected, the original plan's auth check), and
my address book (GET /me/addresses)."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from web.app import ServicesDep
from web.auth import CurrentUser
from web.schemas import AddressOut, UserOut


class AddressBook(BaseModel):
    items: list[AddressOut]


router = APIRouter(tags=["accounts"])


@router.get("/protected", response_model=UserOut)
async def protected(user: CurrentUser, services: ServicesDep) -> UserOut:
    """The caller's account as the accounts table has it now (username and email live only
    there). The accounts store is a blocking client: this one call runs in a worker thread."""
    account = await anyio.to_thread.run_sync(services.accounts.get, user.id)
    if account is None:
        raise HTTPException(401, "account no longer exists", headers={"WWW-Authenticate": "Bearer"})
    return UserOut(id=account.id, username=account.username, email=account.email, role=user.role)


@router.get("/me/addresses", response_model=AddressBook)
async def my_addresses(user: CurrentUser, services: ServicesDep) -> AddressBook:
    """The caller's address book, the default first (personal data: read where it is kept,
    in a worker thread)."""
    book = await anyio.to_thread.run_sync(services.addresses.book, user.id)
    return AddressBook(
        items=[
            AddressOut(id=entry.id, default=entry.is_default, **entry.address.as_dict())
            for entry in book
        ]
    )
