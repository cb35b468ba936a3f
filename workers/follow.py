"""Following the event store from a position, the same way on PostgreSQL and SQLite.

PostgreSQL: the library's subscription, woken by LISTEN/NOTIFY (and a nudge each second).
SQLite has no subscription, so we read its notification log ourselves, backing off while idle.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence

from eventsourcing.persistence import ApplicationRecorder, Notification

SELECT_LIMIT = 500
# eventsourcing 9.5.6 runs its first select before its LISTEN is in place, so an event committed
# in between wakes nobody until the next event arrives. Nudging the subscription this often
# bounds that delay (and that of any lost NOTIFY) instead of leaving a view stuck.
NUDGE_SECONDS = 1.0


class LogReader:
    """Iterates notifications after `gt`, by polling the log with a short idle backoff."""

    def __init__(
        self, recorder: ApplicationRecorder, gt: int, topics: Sequence[str], stop: threading.Event
    ) -> None:
        self.recorder = recorder
        self.position = gt
        self.topics = list(topics)
        self.stop_event = stop

    def __iter__(self) -> Iterator[Notification]:
        idle = 0.01
        while not self.stop_event.is_set():
            batch = self.recorder.select_notifications(
                start=self.position,
                limit=SELECT_LIMIT,
                topics=self.topics,
                inclusive_of_start=False,
            )
            if batch:
                idle = 0.01
                self.position = batch[-1].id
                yield from batch
            else:
                self.stop_event.wait(idle)
                idle = min(idle * 2, 0.2)

    def stop(self) -> None:
        self.stop_event.set()


class Follower:
    """Feeds notifications into a queue from a background thread, so the runner can take
    them in batches (one transaction per batch) and still notice a stop request."""

    def __init__(self, recorder: ApplicationRecorder, gt: int) -> None:
        self.recorder = recorder
        self.queue: queue.Queue[Notification | BaseException] = queue.Queue(
            maxsize=5 * SELECT_LIMIT
        )
        self._stop = threading.Event()
        self._subscription: object | None = None
        self._thread = threading.Thread(target=self._feed, args=(gt,), daemon=True)
        self._thread.start()

    def _feed(self, gt: int) -> None:
        try:
            if _has_real_subscribe(self.recorder):
                with self.recorder.subscribe(gt=gt) as subscription:
                    self._subscription = subscription
                    threading.Thread(target=self._nudge, args=(subscription,), daemon=True).start()
                    if self._stop.is_set():
                        subscription.stop()
                    for notification in subscription:
                        self._put(notification)
            else:
                reader = LogReader(self.recorder, gt, (), self._stop)
                self._subscription = reader
                for notification in reader:
                    self._put(notification)
        except BaseException as error:  # surfaced to the runner, which decides what to do
            self._put(error)

    def _nudge(self, subscription: object) -> None:
        woken = getattr(subscription, "_has_been_notified", None)  # the library's wake-up
        while woken is not None and not self._stop.wait(NUDGE_SECONDS):
            woken.set()

    def _put(self, item: Notification | BaseException) -> None:
        while not self._stop.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def take(self, limit: int, timeout: float) -> list[Notification]:
        """Up to `limit` notifications: waits for the first, then takes what is ready."""
        try:
            first = self.queue.get(timeout=timeout)
        except queue.Empty:
            return []
        items = [first]
        while len(items) < limit:
            try:
                items.append(self.queue.get_nowait())
            except queue.Empty:
                break
        for item in items:
            if isinstance(item, BaseException):
                raise item
        return items  # type: ignore[return-value]

    def close(self) -> None:
        self._stop.set()
        stopper = getattr(self._subscription, "stop", None)
        if stopper is not None:
            stopper()
        self._thread.join(timeout=5)


def _has_real_subscribe(recorder: ApplicationRecorder) -> bool:
    try:
        from eventsourcing.postgres import PostgresApplicationRecorder
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(recorder, PostgresApplicationRecorder)
