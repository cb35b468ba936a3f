"""Logging out: a revoked token is an event, so every process can learn of it from the log.

The aggregate's id is derived from the token's id (jti): revoking the same token twice, even
from two processes at the same moment, cannot create it twice, so the store itself makes
logout idempotent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid5(NAMESPACE_URL, "https://order-platform/tokens")


def revocation_id_for(jti: str) -> UUID:
    return uuid5(_NAMESPACE, jti)


class TokenRevocation(Aggregate):
    class TokenRevoked(Aggregate.Created):
        jti: str
        user_id: UUID
        # Until when the token would have been accepted; afterwards nobody needs to remember it.
        expires_at: datetime

    @staticmethod
    def create_id(jti: str, **_: Any) -> UUID:
        return revocation_id_for(jti)

    @event(TokenRevoked)
    def __init__(self, jti: str, user_id: UUID, expires_at: datetime) -> None:
        self.jti = jti
        self.user_id = user_id
        self.expires_at = expires_at
