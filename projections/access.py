"""The access view: role changes and logged-out tokens, which every API process polls into
its in-memory access cache (infra/access.py) so that checking a request needs no query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete

from domain.access import TokenRevocation
from domain.accounts import Account
from infra.access import access_revocations, access_roles
from projections.base import SqlProjection, handles


class AccessView(SqlProjection):
    name = "access"
    tables = (access_roles, access_revocations)

    @handles(Account.RoleChanged)
    def _role_changed(self, conn: Connection, event: Any, position: int) -> None:
        user = {"user_id": event.originator_id}
        if not self.update_row(conn, access_roles, user, role=event.role, position=position):
            self.insert_row(conn, access_roles, **user, role=event.role, position=position)

    @handles(TokenRevocation.TokenRevoked)
    def _token_revoked(self, conn: Connection, event: Any, position: int) -> None:
        # Tokens that had expired when this one was revoked are refused anyway: forget them.
        # (By the event's time, not the clock's, so a replay builds the same rows.)
        conn.execute(
            delete(access_revocations).where(
                access_revocations.c.expires_at < int(event.timestamp.timestamp())
            )
        )
        self.insert_row(
            conn,
            access_revocations,
            jti=event.jti,
            user_id=event.user_id,
            expires_at=int(event.expires_at.timestamp()),
            position=position,
        )
