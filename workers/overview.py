"""What `shop projections status` shows: each projection's position against the head of the
log, its state as its worker last reported it, its lease holder and the skips operators
decided. Read-only, from another process than the worker; and `record_skip`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import IntegrityError

from infra import schema
from infra.read_store import projection_leases, projection_positions
from infra.services import Services
from projections.registry import projections_for
from workers.replay import ReplayError, find_projection, lease_holder, store_for
from workers.status import (
    PERSIST_SECONDS,
    Skip,
    State,
    projection_skips,
    projection_status,
    skips_of,
)
from workers.versions import projection_versions
from workers.view_stores import FailedEvent, RedisViewStore

# A status row older than this no longer says what the worker is doing now.
STALE_SECONDS = 5 * PERSIST_SECONDS + 10


@dataclass
class ProjectionReport:
    name: str
    kind: str
    state: str
    position: int
    head: int
    lag_seconds: float = 0.0
    events_per_second: float = 0.0
    lease_holder: str | None = None
    last_error: str | None = None
    failed_position: int | None = None
    failed_type: str | None = None
    failed_aggregate: str | None = None
    failures: int = 0
    skips: list[Skip] = field(default_factory=list)
    version: int | None = None  # the code version the live view was built by
    rebuild_version: int | None = None  # a build beside it, if one is under way
    rebuild_position: int | None = None
    own: bool = False  # an analyst's projection, replayed into a store of its own

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "state": self.state,
            "position": self.position,
            "head": self.head,
            "lag": self.lag,
            "lag_seconds": self.lag_seconds,
            "events_per_second": self.events_per_second,
            "lease_holder": self.lease_holder,
            "last_error": self.last_error,
            "failed_event": None
            if self.failed_position is None
            else {
                "position": self.failed_position,
                "type": self.failed_type,
                "aggregate_id": self.failed_aggregate,
            },
            "failures": self.failures,
            "skips": [skip.as_dict() for skip in self.skips],
            "version": self.version,
            "rebuild": None
            if self.rebuild_version is None
            else {"version": self.rebuild_version, "position": self.rebuild_position},
            "analysis": self.own,
        }


def projection_reports(services: Services) -> list[ProjectionReport]:
    """Every projection as the stores see it now. A read store no worker has set up yet
    shows position 0, no lease and state "not running"."""
    head = services.shop.position()
    engine = services.read_engine
    tables = set(inspect(engine).get_table_names())
    rows = {}
    if projection_status.name in tables:
        with engine.connect() as conn:
            rows = {row.name: row for row in conn.execute(select(projection_status))}
    skips = skips_of(engine) if projection_skips.name in tables else []
    versions = {}
    if projection_versions.name in tables:
        with engine.connect() as conn:
            versions = {row.name: row for row in conn.execute(select(projection_versions))}
    reports = []
    for projection in projections_for(services.settings):
        store = store_for(services, projection)
        ready = isinstance(store, RedisViewStore) or projection_positions.name in tables
        holder = lease_holder(engine, projection.name) if projection_leases.name in tables else None
        row = rows.get(projection.name)
        fresh = row is not None and time.time() - row.updated_at < STALE_SECONDS
        report = ProjectionReport(
            name=projection.name,
            kind=projection.kind,
            state=_state(holder, row.state if row is not None else None, fresh),
            position=store.position() if ready else 0,
            head=head,
            lease_holder=holder,
            skips=[skip for skip in skips if skip.name == projection.name],
        )
        if row is not None:
            report.last_error = row.last_error
            report.failed_position = row.failed_position
            report.failed_type = row.failed_type
            report.failed_aggregate = row.failed_aggregate
            report.failures = row.failures
            if fresh and holder is not None:
                report.events_per_second = row.events_per_second
                report.lag_seconds = row.lag_seconds if report.lag else 0.0
        version = versions.get(projection.name)
        if version is not None:
            report.version = version.version
            report.rebuild_version = version.next_version
            report.rebuild_position = version.build_position
            if version.next_version is not None and report.state != State.REBUILDING:
                building = lease_holder(engine, f"{projection.name}~next") is not None
                report.state = State.REBUILDING if building else report.state
        reports.append(report)
    known = {projection.name for projection in projections_for(services.settings)}
    for name, row in sorted(rows.items()):
        if name not in known:  # an analyst's projection, reporting from its own process
            reports.append(_own_report(row, head, skips))
    return reports


def _own_report(row: Any, head: int, skips: list[Skip]) -> ProjectionReport:
    fresh = time.time() - row.updated_at < STALE_SECONDS
    running = fresh and row.state not in (State.STOPPED, State.STANDBY)
    report = ProjectionReport(
        name=row.name,
        kind="sql",
        state=row.state if running else State.NOT_RUNNING,
        position=row.position,
        head=head,
        lease_holder=row.worker if running else None,
        last_error=row.last_error,
        failed_position=row.failed_position,
        failed_type=row.failed_type,
        failed_aggregate=row.failed_aggregate,
        failures=row.failures,
        skips=[skip for skip in skips if skip.name == row.name],
        own=True,
    )
    if running:
        report.events_per_second = row.events_per_second
        report.lag_seconds = row.lag_seconds if report.lag else 0.0
    return report


def _state(holder: str | None, reported: str | None, fresh: bool) -> str:
    if holder is None:
        return State.NOT_RUNNING
    if holder.startswith("rebuild@"):
        return State.REBUILDING
    if reported is None or not fresh:
        return State.STARTING
    return reported


def record_skip(services: Services, name: str, position: int, reason: str, decided_by: str) -> Skip:
    """Record an operator's decision that projection `name` passes the event at `position`
    without applying it. Only an event the projection handles and has not passed yet."""
    projection = find_projection(services.settings, name)
    if not reason.strip():
        raise ReplayError("say why: --reason is recorded with the decision")
    engine = services.read_engine
    try:
        with engine.connect() as conn:
            schema.check(conn, schema.VIEWS)
    except schema.SchemaError as error:
        raise ReplayError(str(error)) from None
    found = services.shop.recorder.select_notifications(start=position, limit=1, stop=position)
    if not found:
        raise ReplayError(f"there is no event at position {position}")
    notification = found[0]
    if notification.topic not in projection.topics:
        raise ReplayError(
            f"the event at position {position} ({notification.topic}) is not one {name}"
            " handles: there is nothing to skip"
        )
    store = store_for(services, projection)
    store.setup()
    passed = store.position()
    if position <= passed:
        raise ReplayError(
            f"{name} has already passed position {position} (it is at {passed}): a skip"
            " would change nothing; rebuild the view if it is wrong"
        )
    skip = Skip(
        name=name,
        position=position,
        event_type=FailedEvent.of(notification).type[:200],
        aggregate_id=str(notification.originator_id)[:64],
        reason=reason.strip()[:1000],
        decided_by=decided_by[:200],
        decided_at=time.time(),
    )
    try:
        with engine.begin() as conn:
            conn.execute(insert(projection_skips).values(**skip.__dict__))
    except IntegrityError:
        raise ReplayError(f"a skip of position {position} is already recorded for {name}") from None
    return skip
