"""The Account aggregate: who a user is to the shop, by opaque id only.

Emails and password hashes live in the accounts table (infra/accounts.py), never in events,
so an account can be erased without rewriting history.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidCommand

ROLES = ("shopper", "admin", "support")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidCommand(f"role must be one of {', '.join(ROLES)}")
    return role


class Account(Aggregate):
    class AccountOpened(Aggregate.Created):
        user_id: UUID
        role: str

    class RoleChanged(Aggregate.Event):
        role: str

    @staticmethod
    def create_id(user_id: UUID, **_: Any) -> UUID:
        """The aggregate id is the user id issued by the accounts table."""
        return user_id

    @event(AccountOpened)
    def __init__(self, user_id: UUID, role: str) -> None:
        self.role = role

    @classmethod
    def open(cls, user_id: UUID, role: str) -> Account:
        return cls(user_id=user_id, role=check_role(role))

    def change_role(self, role: str) -> None:
        if check_role(role) != self.role:
            self._change_role(role)

    @event(RoleChanged)
    def _change_role(self, role: str) -> None:
        self.role = role
