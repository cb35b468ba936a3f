"""Projections from history into a store of one's own: `shop projections replay ... --into URL`.

What is replayed is one of the shop's SQL projections (by name) or an analyst's own class
(`my_module:MyProjection`, a SqlProjection subclass in a module of theirs), into a read store
that is not the live one. It goes through the worker's own ViewStore, so every batch and the
position it reaches are written in one transaction: interrupted (Ctrl-C), a replay leaves a
consistent view at its stored position and the same command carries on from there. With
`follow`, it then runs the projection like the worker runs the shop's (ProjectionWorker: the
log head, batches, leases, failures that stop and say so, /metrics), and an analyst's
projection reports its state to the live read store's status table, so `shop projections
status` lists it beside the shop's own. A changed `version` is rebuilt blue/green in that store.

Whose store is it: the first replay into a store records itself there (`analysis_replays`);
a store that has the projection's tables without that record (the live store of another
deployment, say) is refused, so a mistyped URL cannot write into anything it did not create.
"""

from __future__ import annotations

import importlib
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Double, Engine, String, Table, insert, select
from sqlalchemy.exc import IntegrityError

from infra.db import make_engine
from infra.progress import ProgressCallback
from infra.read_store import projection_leases, views_metadata
from infra.services import Services
from projections.base import Projection, SqlProjection
from projections.registry import projections_for
from workers.bluegreen import BlueGreen, target_for
from workers.lease import Lease
from workers.replay import (
    BATCH_SIZE,
    LEASE_TTL_SECONDS,
    ReplayError,
    ReplayResult,
    acquire,
    already_there,
    check_batch_size,
    checked_read_store_url,
    find_projection,
    replay,
    safe_url,
)
from workers.status import RunnerStatus, State, skipped_positions
from workers.versions import read_version
from workers.view_stores import SqlViewStore

analysis_replays = Table(
    "analysis_replays",
    views_metadata,
    Column("name", String(64), primary_key=True),
    Column("projection", String(300), nullable=False),  # what was replayed (name or module:Class)
    Column("started_by", String(200), nullable=False),
    Column("started_at", Double, nullable=False),
)


# -- which projection ----------------------------------------------------------------------------


def load_projection(services: Services, spec: str | SqlProjection) -> SqlProjection:
    """The shop's projection named `spec`, or an analyst's class `module:Class` (the module is
    looked up from the current directory too, like `python -m`), or that projection."""
    if isinstance(spec, SqlProjection):
        return spec
    if ":" not in spec:
        found = find_projection(services.settings, spec)
        if not isinstance(found, SqlProjection):
            raise ReplayError(f"{spec} is a {found.kind} view: replays build SQL views only")
        return found
    module_name, _, qualname = spec.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        target: object = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as error:
        raise ReplayError(f"cannot load {spec}: {error}") from None
    if not (isinstance(target, type) and issubclass(target, SqlProjection)):
        raise ReplayError(f"{spec} is not a SqlProjection subclass (projections/base.py)")
    if not getattr(target, "name", None) or not target.tables:
        raise ReplayError(f"{spec} needs a `name` and the `tables` it writes")
    projection = target()
    if projection.name in {p.name for p in projections_for(services.settings)}:
        raise ReplayError(
            f"{projection.name!r} is the name of one of the shop's projections: give yours"
            " another `name`"
        )
    return projection


def is_own(services: Services, projection: Projection) -> bool:
    """An analyst's projection (not one of the shop's)."""
    return projection.name not in {p.name for p in projections_for(services.settings)}


# -- the replay ----------------------------------------------------------------------------------


@dataclass
class AnalysisStore:
    """The analyst's store, opened for one projection: its engine and the view's store."""

    url: str
    engine: Engine
    store: SqlViewStore

    def close(self) -> None:
        self.engine.dispose()


def open_store(services: Services, projection: SqlProjection, url: str) -> AnalysisStore:
    url = checked_read_store_url(services.settings, url)
    engine = make_engine(url, pool_size=3)
    try:
        analysis_replays.create(engine, checkfirst=True)
        projection_leases.create(engine, checkfirst=True)
        _claim(engine, projection, url)
        store = SqlViewStore(engine, projection, services.shop.mapper)
        store.setup()
    except BaseException:
        engine.dispose()
        raise
    return AnalysisStore(url, engine, store)


def _claim(engine: Engine, projection: SqlProjection, url: str) -> None:
    """Record that this store's copy of the view is an analysis replay's (or check it is)."""
    with engine.connect() as conn:
        mine = conn.execute(
            select(analysis_replays.c.name).where(analysis_replays.c.name == projection.name)
        ).first()
    if mine is not None:
        return
    taken = already_there(engine, projection)
    if taken:
        raise ReplayError(
            f"{safe_url(url)} already has {', '.join(taken)}, not written by a replay: replays"
            " build into a store of their own (a new file or database, or one they built)"
        )
    spec = f"{type(projection).__module__}:{type(projection).__qualname__}"
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(analysis_replays).values(
                    name=projection.name,
                    projection=spec[:300],
                    started_by=_owner()[:200],
                    started_at=time.time(),
                )
            )
    except IntegrityError:
        pass  # a replay started beside this one claimed it first


def replay_into(
    services: Services,
    spec: str | SqlProjection,
    url: str,
    batch_size: int = BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
    until: int | None = None,
    lease_ttl: float = LEASE_TTL_SECONDS,
) -> ReplayResult:
    """Replay the projection `spec` into the store at `url`, from its stored position (0 the
    first time) to the head of the log (or `until`). Resumable: run it again after an
    interruption. A projection whose `version` changed since is rebuilt blue/green there."""
    check_batch_size(batch_size)
    projection = load_projection(services, spec)
    target = open_store(services, projection, url)
    owner = _owner()
    lease = Lease(target.engine, projection.name, owner, lease_ttl)
    status = _status(services, projection, owner)
    try:
        acquire(lease, 0.0, what=f"the replay of {projection.name} into {safe_url(target.url)}")
        stored = read_version(target.engine, projection.name)
        if stored is not None and stored.version != projection.version:
            job = BlueGreen(
                services.shop.recorder,
                target_for(target.store, target.engine),
                target.engine,
                owner,
                batch_size=batch_size,
                lease_ttl=lease_ttl,
                on_progress=on_progress,
                status=status,
            )
            rebuilt = job.run(lease)
            if rebuilt is not None and until is None:
                return rebuilt
        if status is not None:
            status.enter(State.CATCHING_UP)
        return replay(
            services.shop.recorder,
            target.store,
            batch_size,
            on_progress,
            after_batch=_keeper(lease),
            until=until,
            skips=skipped_positions(services.read_engine, projection.name)
            if is_own(services, projection)
            else frozenset(),
            status=status,
            status_engine=services.read_engine if status is not None else None,
        )
    finally:
        if status is not None:
            status.enter(State.STOPPED)
            status.worker = None
            status.persist(services.read_engine, force=True)
        lease.release()
        target.close()


def follow(
    services: Services,
    spec: str | SqlProjection,
    url: str,
    stop: threading.Event,
    health: tuple[str, int] | None = None,
    lease_ttl: float = LEASE_TTL_SECONDS,
) -> None:
    """Keep the replayed view current, like the worker keeps the shop's, until `stop`; with
    `health` (host, port), serve GET /healthz and GET /metrics there."""
    from workers.health import serve_health
    from workers.process import ProjectionWorker

    projection = load_projection(services, spec)
    target = open_store(services, projection, url)
    try:
        own = is_own(services, projection)
        worker = ProjectionWorker(
            services,
            projections=[projection],
            lease_ttl=lease_ttl,
            engine=target.engine,
            # The shop's own view, followed elsewhere, must not pass for the live one.
            status_engine=services.read_engine if own else target.engine,
        )
        worker.start(stop)
        server = serve_health(*health, worker) if health else None
        try:
            stop.wait()
        finally:
            if server is not None:
                server.shutdown()
                server.server_close()
            worker.join()
    finally:
        target.close()


def _status(services: Services, projection: Projection, owner: str) -> RunnerStatus | None:
    """An analyst's projection reports to the live status table (the shop's own replayed
    elsewhere would pass for the live view there, so they do not)."""
    if not is_own(services, projection):
        return None
    from workers.status import projection_status

    projection_status.create(services.read_engine, checkfirst=True)
    return RunnerStatus(projection.name, projection.kind, worker=owner)


def _keeper(lease: Lease) -> Callable[[], None]:
    renewed = time.monotonic()

    def keep() -> None:
        nonlocal renewed
        if time.monotonic() - renewed > lease.ttl / 3:
            if not lease.renew():
                raise ReplayError(f"lost the lease of {lease.name}; run the replay again")
            renewed = time.monotonic()

    return keep


def _owner() -> str:
    return f"replay@{socket.gethostname()[:40]}:{uuid.uuid4().hex[:8]}"
