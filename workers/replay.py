"""Replaying the event history into a projection: rebuild a live view, or build one elsewhere.

Both go through the worker's own ViewStore.commit, so every batch and the position it reaches
are written in one transaction, exactly as when a worker follows the store; they only batch
harder. A rebuild holds the projection's lease from the reset to the last batch, so no worker
applies events to a view while it is being rebuilt (and a worker that has lost its lease
without noticing is stopped by the position compare-and-set in the view store).
"""

from __future__ import annotations

import queue
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, Notification
from sqlalchemy import Engine, inspect, select, update
from sqlalchemy.engine import make_url

from infra.db import sqlalchemy_url
from infra.progress import Progress, ProgressCallback
from infra.read_store import projection_leases, projection_positions, views_metadata
from infra.services import Services
from infra.settings import Settings, load_settings
from projections.base import Projection, SqlProjection
from projections.registry import projections_for
from workers.lease import Lease
from workers.runner import ProjectionStopped, commit_or_stop, describe
from workers.status import (
    RunnerStatus,
)
from workers.view_stores import RedisViewStore, SqlViewStore, ViewStore, view_store_for

BATCH_SIZE = 1000
MAX_BATCH_SIZE = 10_000
# Notifications read per query: replays read more than they commit at once when batches are small.
PAGE = 2000
# A rebuild renews its lease every third of this; a crashed rebuild frees it after this long.
LEASE_TTL_SECONDS = 10.0


class ReplayError(Exception):
    """A replay that cannot start or had to stop; the message says why, in one line."""


class LeaseHeld(ReplayError):
    pass


class LeaseLost(ReplayError):
    pass


# -- progress and results ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayResult:
    name: str
    events: int
    position: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


# -- the replay loop -------------------------------------------------------------------------------


def replay(
    recorder: ApplicationRecorder,
    store: ViewStore,
    batch_size: int = BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
    after_batch: Callable[[], None] | None = None,
    until: int | None = None,
    skips: frozenset[int] = frozenset(),
    status: RunnerStatus | None = None,
    status_engine: Engine | None = None,
) -> ReplayResult:
    """Apply the projection's events after the store's position, `batch_size` per transaction,
    until the log has nothing newer (or nothing up to `until`); the position ends at the head
    of the log (or `until`). Only the projection's topics are read; `skips` are positions an
    operator decided to skip. An event that fails stops the replay (ReplayError naming it),
    with the events before it committed."""
    check_batch_size(batch_size)
    name = store.projection.name
    start = position = store.position()
    started = time.monotonic()

    def newest(after: int) -> int:
        top = recorder.max_notification_id() or 0
        return max(top if until is None else min(top, until), after)

    head = newest(position)

    def report(done: bool = False) -> None:
        if status is not None and status_engine is not None:
            status.position, status.head = position, head
            status.persist(status_engine)
        if on_progress is not None:
            elapsed = time.monotonic() - started
            on_progress(Progress(name, position - start, position, head, elapsed, done, start))

    report()
    reader = _Reader(recorder, store, skips, position, head, newest, max(batch_size, PAGE))
    try:
        for page in reader:
            head = max(head, page.head)
            chunks = range(0, len(page.notifications), batch_size)
            for offset in chunks:
                chunk = page.notifications[offset : offset + batch_size]
                events = page.events[offset : offset + batch_size]
                new = page.end if offset + batch_size >= len(page.notifications) else chunk[-1].id
                try:
                    position = commit_or_stop(store, chunk, position, new, events)
                except ProjectionStopped as stopped:
                    raise _stopped(name, stopped) from None
                if status is not None:
                    status.applied(len(chunk))
                if after_batch is not None:
                    after_batch()
            if not chunks:
                position = store.advance(position, page.end)
            report()
    finally:
        reader.close()
    head = position
    report(done=True)
    return ReplayResult(name, position - start, position, time.monotonic() - started)


@dataclass(frozen=True)
class _Page:
    notifications: list[Notification]
    events: list[Any]  # decoded; None where decoding failed (the store reports it)
    end: int  # the position the view reaches with this page
    head: int


class _Reader:
    """Reads and decodes the next pages in a thread while the current one is written: a view
    store mostly waits on its database, and this overlaps that wait with the reading."""

    def __init__(
        self,
        recorder: ApplicationRecorder,
        store: ViewStore,
        skips: frozenset[int],
        position: int,
        head: int,
        newest: Callable[[int], int],
        page: int,
    ) -> None:
        self.recorder, self.mapper = recorder, store.mapper
        self.topics = sorted(store.projection.topics)
        self.skips, self.newest, self.page = skips, newest, page
        self.pages: queue.Queue[_Page | BaseException | None] = queue.Queue(maxsize=2)
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=self._read, args=(position, head), name="replay-reader", daemon=True
        )
        self.thread.start()

    def _read(self, position: int, head: int) -> None:
        try:
            while position < head and not self.stop.is_set():
                notifications = self.recorder.select_notifications(
                    start=position,
                    limit=self.page,
                    stop=head,
                    topics=self.topics,
                    inclusive_of_start=False,
                )
                full = len(notifications) >= self.page
                end = notifications[-1].id if full else head
                wanted = [n for n in notifications if n.id not in self.skips]
                self._put(_Page(wanted, [self._decode(n) for n in wanted], end, head))
                position = end
                if not full:
                    head = self.newest(position)  # the log may have grown meanwhile
            self._put(None)
        except BaseException as error:  # raised again by the replaying thread
            self._put(error)

    def _decode(self, notification: Notification) -> Any:
        try:
            return self.mapper.to_domain_event(notification)
        except Exception:
            return None

    def _put(self, item: _Page | BaseException | None) -> None:
        while not self.stop.is_set():
            try:
                self.pages.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[_Page]:
        while True:
            item = self.pages.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def _stopped(name: str, stopped: ProjectionStopped) -> ReplayError:
    event = stopped.event
    return ReplayError(
        f"{name}: stopped at event {event.position} ({event.type}, aggregate"
        f" {event.originator_id}): {describe(stopped.error)}; the view stays at position"
        f" {stopped.stored}: fix the projection, or record a skip with"
        f" `shop projections skip {name} --position {event.position} --reason ...`"
    )


def check_batch_size(batch_size: int) -> None:
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ReplayError(f"batch size must be between 1 and {MAX_BATCH_SIZE}")


# -- which projection ----------------------------------------------------------------------------


def find_projection(settings: Settings, name: str) -> Projection:
    known = projections_for(settings)
    for projection in known:
        if projection.name == name:
            return projection
    names = ", ".join(p.name for p in known)
    hint = "" if settings.redis_url else " (Redis views need REDIS_URL)"
    raise ReplayError(f"no projection named {name!r}; there are: {names}{hint}")


def store_for(
    services: Services, projection: Projection, engine: Engine | None = None
) -> ViewStore:
    try:
        return view_store_for(
            projection,
            engine or services.read_engine,
            services.redis,
            services.settings.redis_namespace,
            services.shop.mapper,
        )
    except ValueError as error:
        raise ReplayError(str(error)) from None


# -- leases --------------------------------------------------------------------------------------


def lease_holder(engine: Engine, name: str) -> str | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(projection_leases.c.owner, projection_leases.c.expires_at).where(
                projection_leases.c.name == name
            )
        ).first()
    if row is None or row.expires_at <= time.time():
        return None
    return str(row.owner)


# -- leases --------------------------------------------------------------------------------------


def acquire(lease: Lease, wait: float, what: str | None = None) -> None:
    """Take `lease`, waiting up to `wait` seconds for its holder to let go; LeaseHeld names
    the holder otherwise."""
    deadline = time.monotonic() + wait
    while not lease.try_acquire():
        left = deadline - time.monotonic()
        if left <= 0:
            holder = lease_holder(lease.engine, lease.name) or "another process"
            waited = f" after waiting {wait:g}s" if wait else ""
            subject = what or f"the {lease.name} projection's lease"
            raise LeaseHeld(
                f"{subject} is held by {holder}{waited}: let it finish (or wait for it with"
                " --wait SECONDS) and try again"
            )
        time.sleep(min(0.25, left))


def rebuild_owner() -> str:
    return f"rebuild@{socket.gethostname()}:{uuid.uuid4().hex[:8]}"[:64]


# -- an in-place reset (tests replay a view into its own tables with it) -----------------------


def reset(store: ViewStore) -> None:
    """Empty the view and set its position to 0."""
    if isinstance(store, SqlViewStore):
        _reset_sql(store)
    else:
        _reset_redis(store)


def _reset_sql(store: SqlViewStore) -> None:
    store.setup()
    tables = list(store.projection.tables)
    # One transaction on SQLite. MariaDB commits before each DDL statement, so the position
    # goes first: a crash in between leaves old rows at position 0, which a worker refuses
    # loudly (duplicate keys), never a silently thinned view at the old position.
    with store.engine.begin() as conn:
        conn.execute(
            update(projection_positions)
            .where(projection_positions.c.name == store.projection.name)
            .values(position=0)
        )
        views_metadata.drop_all(conn, tables=tables)
        views_metadata.create_all(conn, tables=tables)


def _reset_redis(store: RedisViewStore) -> None:
    """Deletes `{namespace}:{name}:*` and zeroes the position in one MULTI/EXEC. The lease
    keeps writers out, so the keys scanned first are all the keys there are."""
    pattern = _glob_escape(store.projection.key()) + ":*"
    keys = list(store.redis.scan_iter(match=pattern, count=1000))
    with store.redis.pipeline(transaction=True) as pipe:
        pipe.set(store.key, 0)
        for start in range(0, len(keys), 1000):
            pipe.delete(*keys[start : start + 1000])
        pipe.execute()


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


# -- replay into another read store --------------------------------------------------------------


def already_there(engine: Engine, projection: SqlProjection) -> list[str]:
    """The projection's tables (or position) the target store already has: other views may
    share an analysis store, this one must start from nothing."""
    existing = set(inspect(engine).get_table_names())
    taken = [table.name for table in projection.tables if table.name in existing]
    if projection_positions.name in existing:
        with engine.connect() as conn:
            row = conn.execute(
                select(projection_positions.c.name).where(
                    projection_positions.c.name == projection.name
                )
            ).first()
        if row is not None:
            taken.append(f"a {projection.name} position")
    return taken


def checked_read_store_url(settings: Settings, url: str) -> str:
    try:
        load_settings(**{**settings.model_dump(), "read_store_url": url})
    except SystemExit as error:  # SettingsError: a one-line message naming the setting
        raise ReplayError(str(error)) from None
    if _store_identity(url) == _store_identity(settings.read_store_url):
        raise ReplayError("that is the live read store: use `shop projections rebuild` for it")
    return url


def _store_identity(url: str) -> tuple[object, ...]:
    parsed = make_url(sqlalchemy_url(url))
    if parsed.get_backend_name() == "sqlite":
        return ("sqlite", Path(parsed.database or "").resolve())
    return (parsed.get_backend_name(), parsed.host, parsed.port or 3306, parsed.database)


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
