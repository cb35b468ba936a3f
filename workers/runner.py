"""Runs one projection: hold its lease, follow the log head, commit batches with the position.

Reads are per projection and topic-filtered, up to the head the process's watcher publishes
(workers/follow.py). A batch that holds events for this view is committed with the position
it reaches; events the view ignores only move the position in memory, and the stored
position follows lazily (at once when idle, at most every ADVANCE_SECONDS under load), so a
read-your-writes wait on a view that ignores an event is still answered quickly.

A failure stops the projection where it is, says so once, and retries with backoff:
- an event whose decoding, handler or row fails: the events before it are committed, the
  position stays just before it, and the event, the error and the position are reported
  (log line, /metrics, `shop projections status`) until a retry succeeds (after a fix) or an
  operator records a skip (`shop projections skip`). Nothing is ever skipped silently.
- an outage (a store unreachable): the batch rolls back whole and is retried.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import redis.exceptions
import sqlalchemy.exc
from eventsourcing import persistence
from eventsourcing.persistence import Notification
from sqlalchemy import Engine

from domain.shop import Shop
from workers.follow import RECHECK_SECONDS, LogHead
from workers.lease import Lease
from workers.metrics import BATCH_EVENTS, BATCH_SECONDS, ERRORS, EVENTS
from workers.status import RunnerStatus, State, skipped_positions
from workers.versions import LIVE, SWITCHING, read_version
from workers.view_stores import EventFailed, FailedEvent, PositionConflict, ViewStore

log = logging.getLogger("shop.worker")

BATCH_SIZE = 500
REBUILD_BATCH_SIZE = 1000
ADVANCE_SECONDS = 0.05
RETRY_SECONDS = (0.5, 30.0)

_OUTAGES: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.DisconnectionError,
    sqlalchemy.exc.TimeoutError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    persistence.OperationalError,
    persistence.InterfaceError,
    OSError,
)


class ProjectionStopped(Exception):
    """The projection cannot pass `event`; its stored position is `stored` (just before)."""

    def __init__(self, event: FailedEvent, error: BaseException, stored: int) -> None:
        super().__init__(f"stopped at event {event.position}: {describe(error)}")
        self.event = event
        self.error = error
        self.stored = stored


def describe(error: BaseException) -> str:
    """One line: the error and where our code raised it."""
    text = f"{type(error).__name__}: {error}".strip().splitlines()[0][:300]
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if "site-packages" not in frame.filename
    ]
    if frames:
        frame = frames[-1]
        text += f" (at {Path(frame.filename).name}:{frame.lineno} in {frame.name})"
    return text


def is_outage(error: BaseException) -> bool:
    return isinstance(error, _OUTAGES)


class ProjectionRunner:
    def __init__(
        self,
        shop: Shop,
        store: ViewStore,
        lease: Lease,
        head: LogHead,
        status_engine: Engine,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.shop = shop
        self.store = store
        self.lease = lease
        self.head = head
        self.status_engine = status_engine
        self.name = store.projection.name
        self.topics = sorted(store.projection.topics)
        self.batch_size = batch_size
        self.status = RunnerStatus(self.name, store.projection.kind)
        self.retry_seconds = RETRY_SECONDS
        self.rebuild_batch_size = REBUILD_BATCH_SIZE  # events per transaction of a rebuild
        self._skips: frozenset[int] = frozenset()

    # -- the loop ------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Run until `stop` is set; waits while another worker holds the lease."""
        backoff = self.retry_seconds[0]
        ready = False
        while not stop.is_set():
            # Setup and the lease calls are inside the try too: an outage of a store must
            # pause this thread, not end it (the process would stay up with a dead projection).
            try:
                if not ready:
                    self.store.setup()
                    ready = True
                if not self._at_code_version(stop):
                    continue
                if not self.lease.try_acquire():
                    if self._enter(State.STANDBY):
                        log.info("%s: lease held elsewhere, standing by", self.name)
                    stop.wait(self.lease.ttl / 3)
                    continue
                self.status.worker = self.lease.owner
                try:
                    self._follow(stop)
                finally:
                    self.status.worker = None
                    self.lease.release()
                backoff = self.retry_seconds[0]
            except PositionConflict as conflict:
                log.warning("%s: %s; standing down", self.name, conflict)
                self._enter(State.STANDBY)
                stop.wait(self.lease.ttl / 3)
            except Exception as error:
                self._failed(error, None)
                stop.wait(backoff)
                backoff = min(backoff * 2, self.retry_seconds[1])
        self._enter(State.STOPPED)

    def _at_code_version(self, stop: threading.Event) -> bool:
        """True when the live view is this code's version. Otherwise rebuild it blue/green
        (an older view, or an interrupted switch to this version; True once switched, with
        the lease held), or stand by (a newer view: this worker runs outdated code)."""
        from workers.bluegreen import BlueGreen, RebuildInterrupted, target_for
        from workers.replay import LeaseHeld

        engine = self.store.versions_engine
        found = read_version(engine, self.store.position_name) if engine is not None else None
        code = self.store.projection.version
        if found is None or (found.state == LIVE and found.version == code):
            return True
        if found.version > code or (found.state == SWITCHING and found.next_version != code):
            if self._enter(State.STANDBY):
                log.warning(
                    "%s: the live view is version %d%s; this worker runs version %d: standing by",
                    self.name,
                    found.version,
                    f" (switching to {found.next_version})" if found.state == SWITCHING else "",
                    code,
                )
            stop.wait(self.lease.ttl / 3)
            return False
        log.info(
            "%s: the live view is version %d, this code is version %d: rebuilding it beside",
            self.name,
            found.version,
            code,
        )
        self.status.worker = self.lease.owner
        self._enter(State.REBUILDING)
        assert engine is not None
        job = BlueGreen(
            self.shop.recorder,
            target_for(self.store, engine),
            engine,
            self.lease.owner,
            skips=self._load_skips(),
            batch_size=self.rebuild_batch_size,
            lease_ttl=self.lease.ttl,
            status=self.status,
            stop=stop,
        )
        try:
            job.run(self.lease)
        except LeaseHeld:
            self.status.worker = None
            if self._enter(State.STANDBY):
                log.info("%s: another worker is rebuilding it; standing by", self.name)
            stop.wait(self.lease.ttl / 3)
            return False
        except RebuildInterrupted:
            return False
        return True

    def _follow(self, stop: threading.Event) -> None:
        status = self.status
        stored = position = self.store.position()
        self._skips = self._load_skips()
        status.position = position
        log.info("%s: following from position %d", self.name, position)
        renewed = written = time.monotonic()
        backoff = self.retry_seconds[0]
        while not stop.is_set():
            if time.monotonic() - renewed > self.lease.ttl / 3:
                if not self.lease.renew():
                    log.warning("%s: lease lost; standing down", self.name)
                    return
                renewed = time.monotonic()
            head = status.head = self.head.head
            if position < head:
                if status.oldest_pending is None:
                    status.oldest_pending = time.time()
                try:
                    position, stored, full = self._step(position, stored, head)
                except ProjectionStopped as stopped:
                    stored = position = status.position = stopped.stored
                    self._failed(stopped.error, stopped.event)
                    renewed = self._wait_renewing(stop, backoff)
                    backoff = min(backoff * 2, self.retry_seconds[1])
                    self._skips = self._load_skips()
                    continue
                written = time.monotonic() if stored == position else written
                backoff = self.retry_seconds[0]
                self._recovered()
                status.position = position
                if full:
                    # Still behind: the next event is no older than the last one applied.
                    status.oldest_pending = self.store.last_event_time or status.oldest_pending
                    self._enter(State.CATCHING_UP)
                    continue
            if position >= status.head:
                status.oldest_pending = None
            if stored < position and time.monotonic() - written >= ADVANCE_SECONDS:
                stored = self.store.advance(stored, position)
                written = time.monotonic()
            self._recovered()  # a whole round without an error: the stores answer again
            self._enter(State.RUNNING)
            status.persist(self.status_engine)
            self.head.wait_beyond(position, self._timeout(stored < position, written, renewed))

    def _timeout(self, behind: bool, written: float, renewed: float) -> float:
        now = time.monotonic()
        deadlines = [renewed + self.lease.ttl / 3, now + RECHECK_SECONDS]
        if behind:
            deadlines.append(written + ADVANCE_SECONDS)
        return max(0.0, min(deadlines) - now)

    def _step(self, position: int, stored: int, head: int) -> tuple[int, int, bool]:
        """Read and apply the next batch up to `head`: (position, stored position, full)."""
        notifications = self.shop.recorder.select_notifications(
            start=position,
            limit=self.batch_size,
            stop=head,
            topics=self.topics,
            inclusive_of_start=False,
        )
        full = len(notifications) >= self.batch_size
        new = notifications[-1].id if full else head
        wanted = [n for n in notifications if n.id not in self._skips]
        for skipped in (n for n in notifications if n.id in self._skips):
            log.warning("%s: skipping event %d as an operator decided", self.name, skipped.id)
        if not wanted:
            return new, stored, full
        started = time.perf_counter()
        stored = self._commit(wanted, stored, new)
        BATCH_SECONDS.labels(self.name).observe(time.perf_counter() - started)
        BATCH_EVENTS.labels(self.name).observe(len(wanted))
        EVENTS.labels(self.name).inc(len(wanted))
        self.status.applied(len(wanted))
        return new, stored, full

    def _commit(self, notifications: Sequence[Notification], stored: int, new: int) -> int:
        return commit_or_stop(self.store, notifications, stored, new)

    # -- reporting -----------------------------------------------------------------------------

    def _enter(self, state: str) -> bool:
        changed = self.status.enter(state)
        if changed and self.status.worker:
            self.status.persist(self.status_engine, force=True)
        return changed

    def _failed(self, error: BaseException, event: FailedEvent | None) -> None:
        status = self.status
        text = describe(error)
        ERRORS.labels(self.name, "event" if event else "store").inc()
        status.failures += 1
        # One line per state change: a new event to stop on, not every attempt or wording.
        new = status.state != State.STOPPED_ON_ERROR or event != status.failed
        status.last_error, status.failed = text, event
        status.enter(State.STOPPED_ON_ERROR)
        if new:
            where = (
                f"at event {event.position} ({event.type}, aggregate {event.originator_id}"
                f" v{event.originator_version}); the view stays at position {event.position - 1}"
                if event
                else f"(store unavailable); the view stays at position {status.position}"
            )
            log.error("%s: stopped %s: %s; retrying with backoff", self.name, where, text)
        if status.worker:
            status.persist(self.status_engine, force=True)

    def _recovered(self) -> None:
        status = self.status
        if status.failures:
            log.info(
                "%s: resumed at position %d after %d failed attempt(s)",
                self.name,
                status.position,
                status.failures,
            )
            status.failures = 0
            status.last_error = None
            status.failed = None

    def _wait_renewing(self, stop: threading.Event, seconds: float) -> float:
        """Wait `seconds` (or until stopped) while keeping the lease; returns when renewed."""
        deadline = time.monotonic() + seconds
        renewed = time.monotonic()
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            stop.wait(min(left, self.lease.ttl / 3))
            if not self.lease.renew():
                raise PositionConflict(f"{self.name} lost its lease while stopped on an error")
            renewed = time.monotonic()
        return renewed

    def _load_skips(self) -> frozenset[int]:
        try:
            return skipped_positions(self.status_engine, self.name)
        except Exception as error:
            if not is_outage(error):
                raise
            return self._skips


def commit_or_stop(
    store: ViewStore,
    notifications: Sequence[Notification],
    stored: int,
    new: int,
    events: Sequence[Any] | None = None,
) -> int:
    """Commit a batch, moving the position from `stored` to `new`; if an event fails, commit
    the events before it and raise ProjectionStopped naming it. Outages propagate as they are.
    `events`: the notifications already decoded (see SqlViewStore.commit)."""
    try:
        return store.commit(notifications, stored, new, events)
    except EventFailed as failed:
        if failed.index:
            before = failed.event.position - 1
            stored = commit_or_stop(store, notifications[: failed.index], stored, before)
        raise ProjectionStopped(failed.event, failed.error, stored) from failed.error
    except Exception as error:
        if is_outage(error) or isinstance(error, PositionConflict):
            raise
        if len(notifications) == 1:
            raise ProjectionStopped(FailedEvent.of(notifications[0]), error, stored) from error
    # Writing the batch failed and no single event was blamed: find the one that fails on
    # its own, committing those before it.
    for notification in notifications:
        stored = commit_or_stop(store, [notification], stored, notification.id)
    return store.advance(stored, new) if new > stored else stored


def worker_owner() -> str:
    """Host and a random suffix, within the 64 characters the lease and status tables hold."""
    return f"{socket.gethostname()[:55]}:{uuid.uuid4().hex[:8]}"
