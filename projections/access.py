"""The access view: role changes and logged-out tokens, which every API process polls into
its in-memory access cache (infra/access.py) so that checking a request needs no query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from domain.access import TokenRevocation
from domain.accounts import Account
from infra.access import access_revocations, access_roles
from projections.base import SqlProjection, handles
from projections.batch import Plan, ViewBatch


class AccessView(SqlProjection):
    name = "access"
    tables = (access_roles, access_revocations)

    def plan(self, event: Any, plan: Plan) -> None:
        if isinstance(event, Account.RoleChanged):
            plan.load(access_roles.c.user_id, event.originator_id)
        elif isinstance(event, TokenRevocation.TokenRevoked):
            # A token is revoked once (its aggregate is created once): no row exists before.
            plan.fresh(access_revocations.c.jti, event.jti)

    @handles(Account.RoleChanged)
    def _role_changed(self, view: ViewBatch, event: Any, position: int) -> None:
        if not view.update(access_roles, event.originator_id, role=event.role, position=position):
            view.insert(
                access_roles, user_id=event.originator_id, role=event.role, position=position
            )

    @handles(TokenRevocation.TokenRevoked)
    def _token_revoked(self, view: ViewBatch, event: Any, position: int) -> None:
        view.insert(
            access_revocations,
            jti=event.jti,
            user_id=event.user_id,
            expires_at=int(event.expires_at.timestamp()),
            position=position,
        )
        # Tokens that had expired when this one was revoked are refused anyway: forget them.
        # (By the event's time, not the clock's, so a replay builds the same rows; set-based,
        # after the batch's rows, and never removing a row this batch still needs.)
        view.execute(
            delete(access_revocations).where(
                access_revocations.c.expires_at < int(event.timestamp.timestamp())
            )
        )
