"""Runs one projection: hold its lease, follow the store, commit batches with the position.

A failing batch rolls back whole and is retried from the stored position after a backoff,
so a bug or an outage pauses the view instead of corrupting it.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable

from domain.shop import Shop
from workers.follow import Follower
from workers.lease import Lease
from workers.view_stores import ViewStore

log = logging.getLogger("shop.worker")

BATCH_SIZE = 500


class ProjectionRunner:
    def __init__(
        self,
        shop: Shop,
        store: ViewStore,
        lease: Lease,
        batch_size: int = BATCH_SIZE,
        on_progress: Callable[[str, int], None] | None = None,
    ) -> None:
        self.shop = shop
        self.store = store
        self.lease = lease
        self.name = store.projection.name
        self.batch_size = batch_size
        self.on_progress = on_progress

    def run(self, stop: threading.Event) -> None:
        """Run until `stop` is set; waits while another worker holds the lease."""
        backoff = 0.5
        ready = False
        while not stop.is_set():
            # Setup and the lease calls are inside the try too: an outage of a store must
            # pause this thread, not end it (the process would stay up with a dead projection).
            try:
                if not ready:
                    self.store.setup()
                    ready = True
                if not self.lease.try_acquire():
                    log.info("%s: lease held elsewhere, standing by", self.name)
                    stop.wait(self.lease.ttl / 3)
                    continue
                try:
                    self._follow(stop)
                finally:
                    self.lease.release()
                backoff = 0.5
            except Exception:
                log.exception("%s: batch failed; retrying from the stored position", self.name)
                stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)

    def _follow(self, stop: threading.Event) -> None:
        position = self.store.position()
        log.info("%s: following from position %d", self.name, position)
        follower = Follower(self.shop.recorder, position)
        renewed = time.monotonic()
        try:
            while not stop.is_set():
                batch = follower.take(self.batch_size, timeout=0.2)
                if time.monotonic() - renewed > self.lease.ttl / 3:
                    if not self.lease.renew():
                        log.warning("%s: lease lost; standing down", self.name)
                        return
                    renewed = time.monotonic()
                if batch:
                    position = self.store.commit(batch, position)
                    if self.on_progress is not None:
                        self.on_progress(self.name, position)
        finally:
            follower.close()


def worker_owner() -> str:
    return f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
