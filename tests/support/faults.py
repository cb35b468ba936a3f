"""A TCP proxy in front of a real store that can fail it the three ways a network or a
server fails (toxiproxy-style, for the tests):

- `refuse()`: nothing listens (connection refused) and open connections are reset;
- `hang()`: connections are accepted and nothing is relayed, in either direction: the
  failure no connection error reveals. Connections caught by it stay hung for good, so a
  client that keeps using one after its time-out is caught out;
- `cut()`: every open connection is closed mid-conversation; new ones work;
- `slow(seconds)`: every answer from the target reaches the client that much later (a
  server that does the work, then answers late: the outcome exists before anyone hears it).

`heal()` makes new connections work again.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class _Link:
    def __init__(self, client: socket.socket, upstream: socket.socket | None) -> None:
        self.client = client
        self.upstream = upstream
        self.frozen = upstream is None

    def close(self) -> None:
        for sock in (self.client, self.upstream):
            if sock is not None:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()


class FaultProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.hanging = False
        self.delay = 0.0
        self._closing = False
        self._links: list[_Link] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.port = 0
        self._listen()

    def url_for(self, url: str) -> str:
        """`url` with the target's host:port replaced by this proxy's."""
        host, port = self.target
        assert f"{host}:{port}" in url, url
        return url.replace(f"{host}:{port}", f"127.0.0.1:{self.port}", 1)

    # -- faults ----------------------------------------------------------------------------

    def hang(self) -> None:
        with self._lock:
            self.hanging = True
            for link in self._links:
                link.frozen = True

    def refuse(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (Linux)
            listener.close()
        self.cut()

    def cut(self) -> None:
        with self._lock:
            links, self._links = self._links, []
        for link in links:
            link.close()

    def slow(self, seconds: float) -> None:
        self.delay = seconds

    def heal(self) -> None:
        """New connections work again (those a hang caught stay hung); no more delay."""
        with self._lock:
            self.hanging = False
            self.delay = 0.0
            listening = self._listener is not None
        if not listening:
            self._listen()

    # The names test_hung_stores.py uses.
    stall = hang
    resume = heal

    def close(self) -> None:
        self._closing = True
        self.refuse()

    # -- relaying --------------------------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while not self._closing:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = None
            if not self.hanging:
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                    upstream.settimeout(None)
                except OSError:
                    client.close()
                    continue
            link = _Link(client, upstream)
            with self._lock:
                self._links.append(link)
            if upstream is None:
                continue  # accepted, and never answered
            for source, sink, late in ((client, upstream, False), (upstream, client, True)):
                threading.Thread(
                    target=self._pump, args=(link, source, sink, late), daemon=True
                ).start()

    def _pump(self, link: _Link, source: socket.socket, sink: socket.socket, late: bool) -> None:
        try:
            while data := source.recv(65536):
                if late and self.delay:
                    time.sleep(self.delay)  # the slow-answer fault: its whole point is to wait
                if not link.frozen:
                    sink.sendall(data)
            if not link.frozen:
                sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


@contextmanager
def fault_proxy(target: tuple[str, int]) -> Iterator[FaultProxy]:
    proxy = FaultProxy(target)
    try:
        yield proxy
    finally:
        proxy.close()
