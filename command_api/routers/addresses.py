"""A shopper's address book (personal data, kept beside the events, never in them): add,
replace and delete addresses, one of them the default. GET /me/addresses is the query API's."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from command_api.schemas import AddressIn
from domain.addresses import Address, parse_address
from infra.address_store import StoredAddress
from web.app import ServicesDep
from web.auth import CurrentUser
from web.schemas import AddressOut

router = APIRouter(tags=["accounts"])


class AddressBookIn(AddressIn):
    default: bool = False


def address_out(stored: StoredAddress) -> AddressOut:
    return AddressOut(id=stored.id, default=stored.is_default, **stored.address.as_dict())


def _checked(body: AddressBookIn) -> Address:
    raw = body.raw()
    raw.pop("default", None)
    return parse_address(raw)


@router.post("/me/addresses", status_code=201, response_model=AddressOut)
def add_address(body: AddressBookIn, user: CurrentUser, services: ServicesDep) -> AddressOut:
    """The first address, or one sent with `"default": true`, becomes the default."""
    stored = services.addresses.add(user.id, _checked(body), body.default)
    return address_out(stored)


@router.put("/me/addresses/{address_id}", response_model=AddressOut)
def replace_address(
    address_id: UUID, body: AddressBookIn, user: CurrentUser, services: ServicesDep
) -> AddressOut:
    """Orders already placed to the old address keep it (they name their own copy)."""
    stored = services.addresses.replace(user.id, address_id, _checked(body), body.default)
    return address_out(stored)


@router.delete("/me/addresses/{address_id}", status_code=204, response_class=Response)
def remove_address(address_id: UUID, user: CurrentUser, services: ServicesDep) -> Response:
    services.addresses.remove(user.id, address_id)
    return Response(status_code=204)
