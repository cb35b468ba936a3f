"""The Account aggregate: who a user is to the shop, by opaque id only.

Emails and password hashes live in the accounts table (infra/accounts.py), never in events,
so an account can be erased without rewriting history. The account also knows the user's
current cart, so a command finds it in one load instead of scanning past carts.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.carts import cart_id_for, next_cart_id_for
from domain.errors import InvalidCommand

ROLES = ("shopper", "admin", "support")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidCommand(f"role must be one of {', '.join(ROLES)}")
    return role


class Account(Aggregate):
    # The last checkout, known from NewCartStarted (absent from older snapshots: class-level
    # immutable defaults).
    last_order_id: UUID | None = None
    previous_cart_id: UUID | None = None

    class AccountOpened(Aggregate.Created):
        user_id: UUID
        role: str

    class RoleChanged(Aggregate.Event):
        role: str

    class NewCartStarted(Aggregate.Event):
        """The user checked out `after_order_id`; `cart_id` is their cart from now on."""

        cart_id: UUID
        after_order_id: UUID

    @staticmethod
    def create_id(user_id: UUID, **_: Any) -> UUID:
        """The aggregate id is the user id issued by the accounts table."""
        return user_id

    @event(AccountOpened)
    def __init__(self, user_id: UUID, role: str) -> None:
        self.role = role
        # Accounts opened before carts were per checkout start on the lifetime cart.
        self.cart_id = cart_id_for(user_id)

    @classmethod
    def open(cls, user_id: UUID, role: str) -> Account:
        return cls(user_id=user_id, role=check_role(role))

    def change_role(self, role: str) -> None:
        if check_role(role) != self.role:
            self._change_role(role)

    def start_new_cart(self, after_order_id: UUID) -> UUID:
        """Move the user on to the cart that follows this order; returns its id."""
        cart_id = next_cart_id_for(self.id, after_order_id)
        self._start_new_cart(cart_id, after_order_id)
        return cart_id

    @event(RoleChanged)
    def _change_role(self, role: str) -> None:
        self.role = role

    @event(NewCartStarted)
    def _start_new_cart(self, cart_id: UUID, after_order_id: UUID) -> None:
        self.previous_cart_id = self.cart_id
        self.last_order_id = after_order_id
        self.cart_id = cart_id
