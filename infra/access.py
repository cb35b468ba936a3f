"""Who may do what, without a database round trip per request.

A token carries the role its user had at login. What can change afterwards (a role, a
logout) is recorded as an event; the `access` projection (projections/access.py) writes it
to the two tables below; and every API process keeps them in memory (AccessCache), polling
both tables a few times a second with one indexed query each, whatever the request rate.
The process that made a change applies it to its own cache at once.

Checking a request is then two dictionary lookups. The cache fails closed: if it has not
heard from the read store for MAX_STALENESS_SECONDS, authenticated requests answer 503
rather than miss a revocation.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from uuid import UUID

from sqlalchemy import BigInteger, Column, Engine, String, Table, Uuid, select

from infra.read_store import views_metadata

log = logging.getLogger("shop.access")

POLL_SECONDS = 0.2
MAX_STALENESS_SECONDS = 10.0

# The latest role of every user whose role changed after their account was opened.
access_roles = Table(
    "access_roles",
    views_metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("role", String(16), nullable=False),
    # The notification id of the change: caches read only rows past what they have seen.
    Column("position", BigInteger, nullable=False, index=True),
)

# Logged-out tokens until they expire (the projection prunes the expired ones).
access_revocations = Table(
    "access_revocations",
    views_metadata,
    Column("jti", String(64), primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
    Column("position", BigInteger, nullable=False, index=True),
)


class AccessUnavailable(Exception):
    """The access cache is too far out of date to decide (HTTP 503)."""


class AccessCache:
    """Role overrides and revoked token ids of one process, kept current by a poller thread.

    Readers (the auth dependencies, on the event loop) only look up dictionaries, which is
    atomic in CPython; writers (the poller and local changes) hold a lock.
    """

    def __init__(
        self,
        engine: Engine,
        poll_seconds: float = POLL_SECONDS,
        max_staleness: float = MAX_STALENESS_SECONDS,
    ) -> None:
        self.engine = engine
        self.poll_seconds = poll_seconds
        self.max_staleness = max_staleness
        self._roles: dict[UUID, tuple[str, int]] = {}
        self._revoked: dict[str, int] = {}
        self._expiries: list[tuple[int, str]] = []
        self._roles_seen = 0
        self._revocations_seen = 0
        self._refreshed_at: float | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Load everything once, then keep polling in the background (idempotent)."""
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="access-cache", daemon=True)
        try:
            self.refresh()
        except Exception as error:
            log.warning("access cache: first load failed (%s); retrying", _first_line(error))
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(timeout=5)

    def _run(self) -> None:
        failing = False
        while not self._stop.wait(self.poll_seconds):
            try:
                self.refresh()
            except Exception as error:
                if not failing:
                    log.warning("access cache: refresh failed (%s); retrying", _first_line(error))
                failing = True
            else:
                if failing:
                    log.info("access cache: refreshing again")
                failing = False

    def refresh(self) -> None:
        """Read the rows written since the last refresh: one indexed query per table."""
        with self.engine.connect() as conn:
            roles = conn.execute(
                select(access_roles.c.user_id, access_roles.c.role, access_roles.c.position)
                .where(access_roles.c.position > self._roles_seen)
                .order_by(access_roles.c.position)
            ).all()
            revocations = conn.execute(
                select(
                    access_revocations.c.jti,
                    access_revocations.c.expires_at,
                    access_revocations.c.position,
                )
                .where(access_revocations.c.position > self._revocations_seen)
                .order_by(access_revocations.c.position)
            ).all()
        with self._lock:
            for user_id, role, position in roles:
                self._set_role(user_id, role, position)
                self._roles_seen = max(self._roles_seen, position)
            for jti, expires_at, position in revocations:
                self._revoke(jti, expires_at)
                self._revocations_seen = max(self._revocations_seen, position)
            self._prune(int(time.time()))
        self._refreshed_at = time.monotonic()

    # -- changes made by this process (applied at once) -----------------------------------------

    def role_changed(self, user_id: UUID, role: str, position: int) -> None:
        with self._lock:
            self._set_role(user_id, role, position)

    def revoked(self, jti: str, expires_at: int) -> None:
        with self._lock:
            self._revoke(jti, expires_at)

    def _set_role(self, user_id: UUID, role: str, position: int) -> None:
        # Positions order the changes: a late local update never undoes a newer one polled.
        held = self._roles.get(user_id)
        if held is None or held[1] < position:
            self._roles[user_id] = (role, position)

    def _revoke(self, jti: str, expires_at: int) -> None:
        if jti not in self._revoked and expires_at > time.time():
            self._revoked[jti] = expires_at
            heapq.heappush(self._expiries, (expires_at, jti))

    def _prune(self, now: int) -> None:
        """Forget revocations of tokens that have expired anyway (refused for that reason)."""
        while self._expiries and self._expiries[0][0] <= now:
            _, jti = heapq.heappop(self._expiries)
            self._revoked.pop(jti, None)

    # -- checks (no I/O) -----------------------------------------------------------------------

    def check_fresh(self) -> None:
        refreshed = self._refreshed_at
        if refreshed is None or time.monotonic() - refreshed > self.max_staleness:
            raise AccessUnavailable("the access cache is out of date")

    def is_revoked(self, jti: str) -> bool:
        return jti in self._revoked

    def role_of(self, user_id: UUID, token_role: str) -> str:
        """The latest role recorded for the user, else the one their token was issued with."""
        held = self._roles.get(user_id)
        return held[0] if held is not None else token_role


def _first_line(error: BaseException) -> str:
    """Store errors carry their SQL over several lines: the log gets one."""
    return f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0]}"[:300]
