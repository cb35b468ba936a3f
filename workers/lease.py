"""A lease row per projection, so only one worker runs it; a second waits for the lease.

The position compare-and-set in the view store is the real guard against doubling; the lease
keeps a standby worker from wasting work (and from crashing on that guard).
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from infra.read_store import projection_leases as leases


class Lease:
    def __init__(self, engine: Engine, name: str, owner: str, ttl: float) -> None:
        self.engine = engine
        self.name = name
        self.owner = owner
        self.ttl = ttl

    def try_acquire(self) -> bool:
        now = time.time()
        with self.engine.begin() as conn:
            row = conn.execute(select(leases).where(leases.c.name == self.name)).first()
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(leases).values(
                                name=self.name, owner=self.owner, expires_at=now + self.ttl
                            )
                        )
                except IntegrityError:
                    return False
                return True
            if row.owner != self.owner and row.expires_at > now:
                return False
            taken = conn.execute(
                update(leases)
                .where(
                    leases.c.name == self.name,
                    leases.c.owner == row.owner,
                    leases.c.expires_at == row.expires_at,
                )
                .values(owner=self.owner, expires_at=now + self.ttl)
            )
            return taken.rowcount == 1

    def take_over(self) -> None:
        """Hold the lease whoever held it: a blue/green switch takes it from the live worker
        (which stands by when its next renewal fails; the switch's fence stops its writes
        before that, see workers/versions.py)."""
        expires = time.time() + self.ttl
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(leases)
                .where(leases.c.name == self.name)
                .values(owner=self.owner, expires_at=expires)
            )
            if taken.rowcount == 0:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(leases).values(
                                name=self.name, owner=self.owner, expires_at=expires
                            )
                        )
                except IntegrityError:
                    conn.execute(
                        update(leases)
                        .where(leases.c.name == self.name)
                        .values(owner=self.owner, expires_at=expires)
                    )

    def renew(self) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                update(leases)
                .where(leases.c.name == self.name, leases.c.owner == self.owner)
                .values(expires_at=time.time() + self.ttl)
            )
            return result.rowcount == 1

    def release(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(leases).where(leases.c.name == self.name, leases.c.owner == self.owner)
            )
