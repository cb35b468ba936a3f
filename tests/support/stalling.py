"""A TCP proxy in front of a real store that can make it hang: while stalled, it accepts
connections and relays nothing, in either direction. That is the failure no connection error
reveals: a server that accepts and never answers. Connections open when the stall began stay
hung for good, so a client that keeps using one after its time-out is caught out."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Link:
    def __init__(self, client: socket.socket, upstream: socket.socket | None) -> None:
        self.client = client
        self.upstream = upstream
        self.frozen = upstream is None


class StallingProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.stalled = False
        self._closing = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._links: list[_Link] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name="stalling-proxy", daemon=True).start()

    def url_for(self, url: str) -> str:
        """`url` with the target's host:port replaced by this proxy's."""
        host, port = self.target
        assert f"{host}:{port}" in url, url
        return url.replace(f"{host}:{port}", f"127.0.0.1:{self.port}", 1)

    def stall(self) -> None:
        with self._lock:
            self.stalled = True
            for link in self._links:
                link.frozen = True

    def resume(self) -> None:
        """New connections work again; the ones the stall caught stay hung."""
        with self._lock:
            self.stalled = False

    def close(self) -> None:
        self._closing = True
        self._listener.close()
        with self._lock:
            for link in self._links:
                for sock in (link.client, link.upstream):
                    if sock is not None:
                        sock.close()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = None
            if not self.stalled:
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
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(link, source, sink), daemon=True).start()

    def _pump(self, link: _Link, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if not link.frozen:
                    sink.sendall(data)
            if not link.frozen:
                sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


@contextmanager
def stalling_proxy(target: tuple[str, int]) -> Iterator[StallingProxy]:
    proxy = StallingProxy(target)
    try:
        yield proxy
    finally:
        proxy.close()
