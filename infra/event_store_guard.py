"""Bounded waits on the PostgreSQL event store, which the eventsourcing library leaves open.

- `statement_timeout` on every connection (the server cancels a statement that runs long)
  and libpq's `connect_timeout` (a server that accepts and never answers fails the connect).
- A watchdog for a server that stops answering mid-statement (a hung host, a stalled
  network): libpq has no read time-out, so a connection checked out for longer than the
  statement and lock time-outs allow is shut down at the socket; the blocked call then
  fails at once and the pool discards the connection.
- Failing fast while the store is down: the library retries a failed call 10 times, each
  waiting for the pool, which turns one outage into a minute per request. After the pool
  could not connect (or the watchdog cut a connection), calls fail at once for a few
  seconds; then the next call tries the server again.

The library's LISTEN thread (a connection held for as long as a worker follows the log) is
not watched.

GuardedPostgresFactory (PERSISTENCE_MODULE, see infra/event_store.py) lets a process be built
while PostgreSQL is down: the library's recorders otherwise connect in their constructors to
look up the composite types their inserts use.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, EnvType
from psycopg_pool import PoolTimeout

log = logging.getLogger("shop.event_store")

# Longer than the library's retries (10 x 0.2 s), so a retried call does not wait again.
FAIL_FAST_SECONDS = 3.0
WATCH_INTERVAL = 0.25
MARGIN_SECONDS = 1.0


class GuardedPostgresFactory(PostgresFactory):
    """The library's factory, whose recorders can be built while the server is down: looking
    up the composite types (inserts use them) is put off until the tables are created
    (`create_table` registers them again; Services.setup checks that it did)."""

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        datastore = self.datastore
        register = datastore.register_type_adapters

        def register_when_up() -> None:
            # The server is down: create_table registers them once it answers.
            with contextlib.suppress(OperationalError, InterfaceError):
                register()

        datastore.register_type_adapters = register_when_up  # type: ignore[method-assign]


def types_registered(datastore: PostgresDatastore) -> bool:
    """True once every composite type the recorders use is known (see the factory above)."""
    return datastore.db_type_names <= datastore.psycopg_type_adapters.keys()


class EventStoreGuard:
    def __init__(
        self,
        datastore: PostgresDatastore,
        statement_timeout: float,
        lock_timeout: float,
        connect_timeout: int,
    ) -> None:
        self.datastore = datastore
        self.max_checkout = statement_timeout + lock_timeout + MARGIN_SECONDS
        self._down_until = 0.0
        self._down = False
        self._watched: dict[int, tuple[Any, float]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        kwargs = datastore.pool.kwargs
        assert isinstance(kwargs, dict)
        kwargs["connect_timeout"] = connect_timeout
        kwargs["options"] = f"-c statement_timeout={round(statement_timeout * 1000)}"
        self._original: Callable[[], AbstractContextManager[Any]] = datastore.get_connection
        datastore.get_connection = self._get_connection  # type: ignore[method-assign]
        threading.Thread(target=self._watch, name="event-store-watchdog", daemon=True).start()

    def close(self) -> None:
        self._stop.set()

    @contextmanager
    def _get_connection(self) -> Iterator[Any]:
        if time.monotonic() < self._down_until:
            raise OperationalError("the event store is unavailable (failing fast)")
        try:
            with self._original() as conn:
                self._state(up=True)
                if threading.current_thread().name.endswith("(_listen)"):
                    yield conn  # the library's LISTEN thread holds its connection for good
                    return
                key = id(conn)
                with self._lock:
                    self._watched[key] = (conn, time.monotonic())
                try:
                    yield conn
                finally:
                    with self._lock:
                        self._watched.pop(key, None)
        except OperationalError as error:
            if isinstance(error.__cause__, PoolTimeout):
                self._fail_fast(f"no connection within the pool time-out ({error})")
            raise

    def _fail_fast(self, why: str) -> None:
        self._down_until = time.monotonic() + FAIL_FAST_SECONDS
        self._state(up=False, why=why)

    def _state(self, up: bool, why: str = "") -> None:
        """One log line per change of state, not one per failed call."""
        if up and self._down:
            self._down = False
            log.warning("event store: answering again")
        elif not up and not self._down:
            self._down = True
            log.warning("event store: unavailable: %s", why)

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_INTERVAL):
            now = time.monotonic()
            with self._lock:
                overdue = [
                    (key, conn)
                    for key, (conn, since) in self._watched.items()
                    if now - since > self.max_checkout
                ]
                for key, _ in overdue:
                    self._watched.pop(key, None)
            for _, conn in overdue:
                _cut(conn)
                self._fail_fast(f"no answer within {self.max_checkout:g} s")


def _cut(conn: Any) -> None:
    """Shut the connection's socket down: the thread blocked reading it wakes with an error."""
    try:
        fd = os.dup(conn.fileno())
    except Exception:
        return
    sock = socket.socket(fileno=fd)
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()
