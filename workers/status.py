"""What each projection runner is doing, in memory (for /metrics and /healthz) and in the read
store (for `shop projections status`, which runs in another process).

The lease holder writes its projection's row when the state changes and at most every
PERSIST_SECONDS otherwise; standby workers write nothing. Skips decided by an operator live
beside it, durable, and are listed by the status command.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Double,
    Engine,
    Insert,
    String,
    Table,
    select,
)
from sqlalchemy.dialects import mysql, sqlite

from infra.read_store import projection_status, views_metadata
from workers.view_stores import FailedEvent

log = logging.getLogger("shop.worker")

PERSIST_SECONDS = 5.0
RATE_WINDOW_SECONDS = 10.0


class State:
    STARTING = "starting"
    RUNNING = "running"
    CATCHING_UP = "catching up"
    STOPPED_ON_ERROR = "stopped on error"
    STANDBY = "standby"
    REBUILDING = "rebuilding"
    STOPPED = "stopped"
    NOT_RUNNING = "not running"  # no worker holds the lease (seen from the CLI only)

    ALL = (STARTING, RUNNING, CATCHING_UP, STOPPED_ON_ERROR, STANDBY, REBUILDING, STOPPED)


projection_skips = Table(
    "projection_skips",
    views_metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("aggregate_id", String(64), nullable=False),
    Column("reason", String(1000), nullable=False),
    Column("decided_by", String(200), nullable=False),
    Column("decided_at", Double, nullable=False),
)


@dataclass
class RunnerStatus:
    """One runner's state as it changes; read by the metrics collector at scrape time."""

    name: str
    kind: str
    state: str = State.STARTING
    position: int = 0  # passed in memory; the stored position may trail it briefly
    head: int = 0
    worker: str | None = None  # the lease holder, when it is this runner
    failures: int = 0  # consecutive failed attempts
    last_error: str | None = None
    failed: FailedEvent | None = None
    since: float = field(default_factory=time.time)
    # Epoch time of the oldest event not applied yet, as far as the runner knows it.
    oldest_pending: float | None = None
    _applied: deque[tuple[float, int]] = field(default_factory=deque, repr=False)
    _persisted: tuple[object, ...] | None = field(default=None, repr=False)
    _persisted_at: float = field(default=0.0, repr=False)

    def enter(self, state: str) -> bool:
        """Change state; True if it changed (the caller logs one line)."""
        if state == self.state:
            return False
        self.state = state
        self.since = time.time()
        return True

    @property
    def lag_events(self) -> int:
        return max(0, self.head - self.position)

    @property
    def lag_seconds(self) -> float:
        if self.lag_events == 0 or self.oldest_pending is None:
            return 0.0
        return max(0.0, time.time() - self.oldest_pending)

    def applied(self, events: int) -> None:
        now = time.monotonic()
        self._applied.append((now, events))
        while self._applied and self._applied[0][0] < now - RATE_WINDOW_SECONDS:
            self._applied.popleft()

    @property
    def events_per_second(self) -> float:
        now = time.monotonic()
        # A copy first: the metrics collector reads this while the runner appends.
        recent = sum(n for t, n in tuple(self._applied) if t >= now - RATE_WINDOW_SECONDS)
        return recent / RATE_WINDOW_SECONDS

    def row(self) -> dict[str, object]:
        failed = self.failed
        return {
            "name": self.name,
            "state": self.state,
            "position": self.position,
            "head": self.head,
            "lag_seconds": round(self.lag_seconds, 3),
            "events_per_second": round(self.events_per_second, 1),
            "worker": self.worker[:64] if self.worker else None,
            "failures": self.failures,
            "last_error": (self.last_error or "")[:1000] or None,
            "failed_position": failed.position if failed else None,
            "failed_type": failed.type[:200] if failed else None,
            "failed_aggregate": failed.originator_id[:64] if failed else None,
            "since": self.since,
            "updated_at": time.time(),
        }

    def persist(self, engine: Engine, force: bool = False) -> None:
        """Write the row if the state changed, or if PERSIST_SECONDS have passed."""
        identity = (self.state, self.failures, self.last_error, self.worker, self.failed)
        due = time.monotonic() - self._persisted_at >= PERSIST_SECONDS
        if not (force or due or identity != self._persisted):
            return
        try:
            with engine.begin() as conn:
                conn.execute(_upsert_status(conn.dialect.name), [self.row()])
        except Exception as error:  # the view matters more than its status row
            log.debug("%s: status not written: %s", self.name, error)
            return
        self._persisted = identity
        self._persisted_at = time.monotonic()


def _upsert_status(dialect: str) -> Insert:
    others = [c.name for c in projection_status.columns if c.name != "name"]
    if dialect == "mysql":
        statement = mysql.insert(projection_status)
        return statement.on_duplicate_key_update({n: statement.inserted[n] for n in others})
    lite = sqlite.insert(projection_status)
    return lite.on_conflict_do_update(
        index_elements=["name"], set_={n: lite.excluded[n] for n in others}
    )


# -- skips ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Skip:
    name: str
    position: int
    event_type: str
    aggregate_id: str
    reason: str
    decided_by: str
    decided_at: float

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["decided_at"] = _iso(self.decided_at)
        return data


def skips_of(engine: Engine, name: str | None = None) -> list[Skip]:
    query = select(projection_skips).order_by(projection_skips.c.name, projection_skips.c.position)
    if name is not None:
        query = query.where(projection_skips.c.name == name)
    with engine.connect() as conn:
        return [Skip(**row._mapping) for row in conn.execute(query)]


def skipped_positions(engine: Engine, name: str) -> frozenset[int]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(projection_skips.c.position).where(projection_skips.c.name == name)
        )
        return frozenset(int(position) for position in rows.scalars())


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")
