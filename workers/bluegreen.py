"""Blue/green rebuilds: a new build of a view beside the live one, switched in atomically.

The live view keeps serving (and its worker keeps following) while the whole history is
replayed into a shadow: tables `<table>__next` (SQL) or keys under `<prefix>~next` (Redis),
with a position of their own (`<name>~next`). Once the shadow has caught up:

1. the rebuild takes the live lease and sets the fence (workers/versions.py: the view's row
   says "switching"), so no live writer can commit any more;
2. it replays the last events into the shadow, up to the head of the log;
3. it swaps the shadow in, position included, and lifts the fence at the new version:
   - SQLite: renames, the position, the version row and the drops in ONE transaction (SQLite
     DDL is transactional, and readers in WAL mode see the old view until the commit);
   - MariaDB: one `RENAME TABLE a TO a__old, a__next TO a, ...` (atomic, but it commits on
     its own), then one transaction for the position and the version row, then the drops;
   - Redis: one MULTI/EXEC renames every shadow key over the live ones, deletes the rest of
     the live keys and sets the position; then the version row.
   A reader sees the old view or the new one, never a mix; the position never goes back.

Crash safety: on MariaDB and Redis the swap and the bookkeeping are two commits. While the
row says "switching" nobody writes the live view, and whoever builds next (the worker at
start-up, or `shop projections rebuild`) recovers first, by looking at what exists: shadow
tables (or the shadow's position key) still there -> the swap did not happen: lift the fence
and resume the build; gone -> it did: finish the bookkeeping (`recover`).

A build is resumable: interrupted, its shadow and position stay, and the next build of the
same version carries on from there.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from eventsourcing.persistence import ApplicationRecorder
from sqlalchemy import Connection, Engine, MetaData, Table, delete, inspect, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql.elements import ColumnElement, conv

from infra.progress import ProgressCallback
from infra.read_store import projection_leases, projection_positions
from infra.services import Services
from projections.base import RedisProjection
from workers.lease import Lease
from workers.replay import (
    BATCH_SIZE,
    LEASE_TTL_SECONDS,
    LeaseLost,
    ReplayError,
    ReplayResult,
    acquire,
    check_batch_size,
    find_projection,
    rebuild_owner,
    replay,
    store_for,
)
from workers.status import RunnerStatus, projection_skips, projection_status, skipped_positions
from workers.versions import (
    LIVE,
    SWITCHING,
    ViewVersion,
    projection_versions,
    read_version,
    set_version,
)
from workers.view_stores import RedisViewStore, SqlViewStore, ViewStore

log = logging.getLogger("shop.worker")

SHADOW = "__next"  # shadow tables
OLD = "__old"  # live tables on their way out (MariaDB: between the RENAME and the DROP)
NEXT = "~next"  # the build's position row or key, and its lease
# MariaDB waits at most this long for readers to let go of the tables it renames (less than
# the client's read time-out, so the server gives up first and the outcome is never unknown).
RENAME_LOCK_WAIT_SECONDS = 3
RENAME_ATTEMPTS = 5


def build_name(name: str) -> str:
    return f"{name}{NEXT}"


class RebuildInterrupted(ReplayError):
    """Stopped on request (a worker shutting down): the build resumes next time."""


# -- where the shadow lives ----------------------------------------------------------------------


class Target(Protocol):
    """A view's live store, the store of its shadow, and how to swap them."""

    @property
    def live(self) -> ViewStore: ...
    @property
    def shadow(self) -> ViewStore: ...

    def shadow_exists(self) -> bool: ...
    def discard_shadow(self) -> None: ...
    def swap(self, version: int) -> None: ...
    def finish(self, version: int) -> None: ...


def shadow_table(table: Table, metadata: MetaData, token: str) -> Table:
    """A copy of `table` named `<table>__next`, its indexes named apart (SQLite's index
    names are global to the file, and they stay with a table when it is renamed)."""
    shadow = table.to_metadata(metadata, name=f"{table.name}{SHADOW}")
    for index in shadow.indexes:
        columns = "_".join(column.name for column in index.columns)
        index.name = conv(f"ix_{table.name}_{columns}"[:50] + f"_{token}")
    return shadow


class SqlTarget:
    def __init__(self, live: SqlViewStore) -> None:
        self.live = live
        self.engine = live.engine
        self.name = live.projection.name
        metadata, token = MetaData(), uuid.uuid4().hex[:8]
        self.shadows = {t: shadow_table(t, metadata, token) for t in live.projection.tables}
        self.shadow = SqlViewStore(
            live.engine,
            live.projection,
            live.mapper,
            position_name=build_name(self.name),
            targets=self.shadows,
            fenced=False,
        )

    def _existing(self, conn: Connection | Engine) -> set[str]:
        return set(inspect(conn).get_table_names())

    def shadow_exists(self) -> bool:
        existing = self._existing(self.engine)
        return all(shadow.name in existing for shadow in self.shadows.values())

    def discard_shadow(self) -> None:
        existing = self._existing(self.engine)
        for live, shadow in self.shadows.items():
            for name in (shadow.name, f"{live.name}{OLD}"):
                if name in existing:
                    with self.engine.begin() as conn:
                        conn.exec_driver_sql(f"DROP TABLE {_quote(conn, name)}")
        with self.engine.begin() as conn:
            conn.execute(delete(projection_positions).where(_named(self.shadow.position_name)))

    def swap(self, version: int) -> None:
        if self.engine.dialect.name == "sqlite":
            self._swap_in_one_transaction(version)
            return
        self._rename_tables()
        self.finish(version)

    def _swap_in_one_transaction(self, version: int) -> None:
        with self.engine.begin() as conn:
            reached = _position_of(conn, self.shadow.position_name)
            # A statement that writes comes first: the driver opens the transaction before it,
            # and every DDL statement after it belongs to the same transaction.
            _set_position(conn, self.name, reached)
            existing = self._existing(conn)
            for live, shadow in self.shadows.items():
                if live.name in existing:
                    conn.exec_driver_sql(
                        f"ALTER TABLE {_quote(conn, live.name)} RENAME TO"
                        f" {_quote(conn, live.name + OLD)}"
                    )
                conn.exec_driver_sql(
                    f"ALTER TABLE {_quote(conn, shadow.name)} RENAME TO {_quote(conn, live.name)}"
                )
            self._bookkeeping(conn, version)
            for live in self.shadows:  # a table new in this version had no old one
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_quote(conn, live.name + OLD)}")
            self._name_indexes(conn)

    def _rename_tables(self) -> None:
        """One RENAME TABLE for every table: atomic on MariaDB, and committed on its own."""
        with self.engine.connect() as conn:
            existing = self._existing(conn)
            pairs = []
            for live, shadow in self.shadows.items():
                if live.name in existing:
                    pairs.append((live.name, live.name + OLD))
                pairs.append((shadow.name, live.name))
            statement = "RENAME TABLE " + ", ".join(
                f"{_quote(conn, a)} TO {_quote(conn, b)}" for a, b in pairs
            )
            conn.exec_driver_sql(f"SET SESSION lock_wait_timeout = {RENAME_LOCK_WAIT_SECONDS}")
            try:
                for attempt in range(RENAME_ATTEMPTS):
                    try:
                        conn.exec_driver_sql(statement)
                        break
                    except OperationalError as error:
                        if attempt == RENAME_ATTEMPTS - 1 or "lock wait" not in str(error).lower():
                            raise
                        log.warning("%s: readers hold the tables; renaming again", self.name)
            finally:
                conn.exec_driver_sql("SET SESSION lock_wait_timeout = DEFAULT")

    def finish(self, version: int) -> None:
        """The bookkeeping of a swap that has happened: the position the new tables have
        reached, the version, the fence lifted; then the old tables go."""
        with self.engine.begin() as conn:
            reached = _position_of(conn, self.shadow.position_name)
            if reached is not None:
                _set_position(conn, self.name, reached)
            self._bookkeeping(conn, version)
        existing = self._existing(self.engine)
        for live in self.shadows:
            if live.name + OLD in existing:
                with self.engine.begin() as conn:
                    conn.exec_driver_sql(f"DROP TABLE {_quote(conn, live.name + OLD)}")
        with self.engine.connect() as conn:
            mysql = conn.dialect.name == "mysql"
            if mysql:
                conn.exec_driver_sql(f"SET SESSION lock_wait_timeout = {RENAME_LOCK_WAIT_SECONDS}")
            try:
                self._name_indexes(conn)
                conn.commit()
            except OperationalError as error:  # readers held on: harmless until a migration
                conn.rollback()
                log.warning("%s: indexes keep their build names for now (%s)", self.name, error)
            finally:
                if mysql:
                    conn.exec_driver_sql("SET SESSION lock_wait_timeout = DEFAULT")

    def _name_indexes(self, conn: Connection) -> None:
        """Give the switched-in tables' indexes the code's names back (a shadow's are named
        apart while it is built), so migrations (migrations/views/) find them by name."""
        for live in self.shadows:
            found = {
                index["name"]: tuple(index["column_names"])
                for index in inspect(conn).get_indexes(live.name)
                if index["name"]
            }
            for index in live.indexes:
                columns = tuple(column.name for column in index.columns)
                if index.name is None or index.name in found:
                    continue
                stray = next((name for name, cols in found.items() if cols == columns), None)
                if stray is None:
                    continue
                if conn.dialect.name == "sqlite":  # no RENAME INDEX: made again, in the switch
                    conn.exec_driver_sql(f"DROP INDEX {_quote(conn, stray)}")
                    index.create(conn)
                else:
                    conn.exec_driver_sql(
                        f"ALTER TABLE {_quote(conn, live.name)} RENAME INDEX"
                        f" {_quote(conn, stray)} TO {_quote(conn, str(index.name))}"
                    )

    def _bookkeeping(self, conn: Connection, version: int) -> None:
        set_version(
            conn, self.name, version=version, state=LIVE, next_version=None, build_position=None
        )
        conn.execute(delete(projection_positions).where(_named(self.shadow.position_name)))


class RedisTarget:
    def __init__(self, live: RedisViewStore, engine: Engine) -> None:
        self.live = live
        self.engine = engine
        self.redis = live.redis
        self.name = live.projection.name
        projection = copy.copy(live.projection)
        assert isinstance(projection, RedisProjection)
        projection.prefix = live.projection.prefix + NEXT
        self.shadow = RedisViewStore(
            live.redis,
            live.namespace,
            projection,
            live.mapper,
            position_name=build_name(self.name),
        )

    def _keys(self, store: RedisViewStore) -> list[str]:
        pattern = _glob_escape(store.projection.key()) + ":*"
        return list(self.redis.scan_iter(match=pattern, count=1000))

    def shadow_exists(self) -> bool:
        return bool(self.redis.exists(self.shadow.key))

    def discard_shadow(self) -> None:
        keys = [*self._keys(self.shadow), self.shadow.key]
        for start in range(0, len(keys), 1000):
            self.redis.delete(*keys[start : start + 1000])

    def swap(self, version: int) -> None:
        from redis import WatchError

        live, shadow = self.live, self.shadow
        while True:
            with self.redis.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(live.key, shadow.key)
                    reached = int(self.redis.get(shadow.key) or 0)
                    old = self._keys(live)
                    new = self._keys(shadow)
                    prefix, target = shadow.projection.prefix, live.projection.prefix
                    pipe.multi()
                    renamed = {target + key[len(prefix) :] for key in new}
                    gone = [key for key in old if key not in renamed]
                    for start in range(0, len(gone), 1000):
                        pipe.delete(*gone[start : start + 1000])
                    for key in new:
                        pipe.rename(key, target + key[len(prefix) :])
                    pipe.set(live.key, reached)
                    pipe.delete(shadow.key)
                    pipe.execute()
                    break
                except WatchError:
                    continue  # a live writer moved meanwhile: scan again
        self.finish(version)

    def finish(self, version: int) -> None:
        with self.engine.begin() as conn:
            set_version(
                conn, self.name, version=version, state=LIVE, next_version=None, build_position=None
            )


def target_for(store: ViewStore, engine: Engine) -> Target:
    if isinstance(store, SqlViewStore):
        return SqlTarget(store)
    return RedisTarget(store, engine)


# -- the rebuild ---------------------------------------------------------------------------------


@dataclass
class BlueGreen:
    """One blue/green rebuild of one view (see the module's docstring)."""

    recorder: ApplicationRecorder
    target: Target
    engine: Engine  # the view's SQL store: versions, positions, leases
    owner: str
    skips: frozenset[int] = frozenset()  # positions an operator decided to skip
    batch_size: int = BATCH_SIZE
    lease_ttl: float = LEASE_TTL_SECONDS
    on_progress: ProgressCallback | None = None
    status: RunnerStatus | None = None  # the worker's own, when the worker rebuilds
    stop: threading.Event | None = None

    @property
    def name(self) -> str:
        return self.target.live.projection.name

    @property
    def version(self) -> int:
        return self.target.live.projection.version

    def needed(self) -> bool:
        """Whether the live view is not this code's version, or a switch was interrupted."""
        found = read_version(self.engine, self.name)
        return found is None or found.state != LIVE or found.version != self.version

    def run(self, live_lease: Lease, force: bool = False, wait: float = 0.0) -> ReplayResult | None:
        """Build this code's version of the view and switch to it; None if there was nothing
        to do (`force`: rebuild even a view of this version). Leaves `live_lease` held: the
        caller follows on, or releases it. LeaseHeld if another rebuild runs (after `wait`)."""
        check_batch_size(self.batch_size)
        for table in (projection_positions, projection_leases, projection_versions):
            table.create(self.engine, checkfirst=True)
        self.target.live.setup()
        build_lease = Lease(self.engine, build_name(self.name), self.owner, self.lease_ttl)
        acquire(build_lease, wait, what=f"a rebuild of {self.name}")
        started = time.monotonic()
        try:
            self.recover()
            if not force and not self.needed():
                return None
            first = self._build(build_lease)
            live_lease.take_over()
            with self.engine.begin() as conn:  # the fence: no live writer commits from here
                set_version(conn, self.name, state=SWITCHING, next_version=self.version)
            try:
                last = self._replay(build_lease)
                self.target.swap(self.version)
            except BaseException:
                self.recover()
                raise
            log.info(
                "%s: switched to version %d at position %d", self.name, self.version, last.position
            )
            return ReplayResult(
                self.name, first.events + last.events, last.position, time.monotonic() - started
            )
        finally:
            build_lease.release()

    def recover(self) -> None:
        """Finish or undo a switch that was interrupted (see the module's docstring)."""
        found = read_version(self.engine, self.name)
        if found is None or found.state != SWITCHING:
            return
        if found.next_version != self.version:
            raise ReplayError(
                f"{self.name}: a switch to version {found.next_version} was interrupted; only"
                f" code of that version can finish it (this is version {self.version})"
            )
        if self.target.shadow_exists():
            log.warning("%s: the interrupted switch had not happened; lifting its fence", self.name)
            with self.engine.begin() as conn:
                set_version(conn, self.name, state=LIVE)
        else:
            log.warning("%s: the interrupted switch had happened; finishing it", self.name)
            self.target.finish(self.version)

    def _build(self, build_lease: Lease) -> ReplayResult:
        found = read_version(self.engine, self.name)
        shadow = self.target.shadow
        if found is not None and found.next_version == self.version and self.target.shadow_exists():
            log.info(
                "%s: resuming the build of version %d at %d",
                self.name,
                self.version,
                shadow.position(),
            )
        else:
            self.target.discard_shadow()
            log.info("%s: building version %d beside the live view", self.name, self.version)
        shadow.setup()
        with self.engine.begin() as conn:
            set_version(
                conn, self.name, next_version=self.version, build_position=shadow.position()
            )
        return self._replay(build_lease)

    def _replay(self, build_lease: Lease) -> ReplayResult:
        return replay(
            self.recorder,
            self.target.shadow,
            self.batch_size,
            self.on_progress,
            after_batch=self._keeper(build_lease),
            skips=self.skips,
            status=self.status,
            status_engine=self.engine if self.status is not None else None,
        )

    def _keeper(self, lease: Lease) -> Callable[[], None]:
        """After each batch: keep the build lease, say how far the build is, obey a stop."""
        renewed = noted = time.monotonic()

        def keep() -> None:
            nonlocal renewed, noted
            if self.stop is not None and self.stop.is_set():
                raise RebuildInterrupted(f"{self.name}: the build stops; it resumes next time")
            now = time.monotonic()
            if now - renewed > lease.ttl / 3:
                if not lease.renew():
                    raise LeaseLost(f"lost the lease of the {self.name} build; run it again")
                renewed = now
            if now - noted > 1.0:
                with self.engine.begin() as conn:
                    set_version(conn, self.name, build_position=self.target.shadow.position())
                noted = now

        return keep


def building(engine: Engine, name: str) -> ViewVersion | None:
    """The view's version row when a build of a new version is under way (for status)."""
    if projection_versions.name not in inspect(engine).get_table_names():
        return None
    found = read_version(engine, name)
    return found if found is not None and found.next_version is not None else None


# -- helpers -------------------------------------------------------------------------------------


def _named(name: str) -> ColumnElement[bool]:
    return projection_positions.c.name == name


def _position_of(conn: Connection, name: str) -> int | None:
    value = conn.execute(select(projection_positions.c.position).where(_named(name))).scalar()
    return None if value is None else int(value)


def _set_position(conn: Connection, name: str, position: int | None) -> None:
    conn.execute(update(projection_positions).where(_named(name)).values(position=position or 0))


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _glob_escape(text: str) -> str:
    import re

    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


# -- `shop projections rebuild NAME` --------------------------------------------------------------


def rebuild(
    services: Services,
    name: str,
    batch_size: int = BATCH_SIZE,
    wait: float = 0.0,
    on_progress: ProgressCallback | None = None,
    lease_ttl: float = LEASE_TTL_SECONDS,
) -> ReplayResult:
    """Rebuild the live view `name` blue/green while its worker keeps it current: a new build
    of this code's version beside it, switched in once caught up. Waits up to `wait` seconds
    for another rebuild of it to finish (LeaseHeld otherwise). The worker carries on from the
    switched position once this lets go of the lease."""
    check_batch_size(batch_size)
    projection = find_projection(services.settings, name)
    store = store_for(services, projection)
    engine = services.read_engine
    for table in (projection_skips, projection_status):
        table.create(engine, checkfirst=True)
    owner = rebuild_owner()
    live_lease = Lease(engine, name, owner, lease_ttl)
    job = BlueGreen(
        services.shop.recorder,
        target_for(store, engine),
        engine,
        owner,
        skips=skipped_positions(engine, name),
        batch_size=batch_size,
        lease_ttl=lease_ttl,
        on_progress=on_progress,
    )
    try:
        result = job.run(live_lease, force=True, wait=wait)
    finally:
        live_lease.release()
    assert result is not None  # forced
    return result
