"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for the load generator.

httpx costs more CPU per request than the bare baseline apps spend answering one; on two
cores shared with the servers, it would cap the baselines and flatter the ratios. This client
only writes a request and reads one Content-Length (or chunked) answer, so the servers stay
the bottleneck. It speaks to our own servers on loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class UnexpectedAnswer(RuntimeError):
    """A status the benchmark did not expect: a benchmark of errors is worthless, so stop."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One keep-alive connection; reconnects when the server closed it between requests."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: Any = None,
        expect: int | tuple[int, ...] | None = None,
    ) -> Answer:
        """Send one request (a JSON body when `body` is given) and read its answer."""
        payload = None if body is None else json.dumps(body).encode()
        answer = await self.request_raw(method, path, headers, payload)
        if expect is not None and answer.status not in (
            (expect,) if isinstance(expect, int) else expect
        ):
            raise UnexpectedAnswer(
                f"{method} {path}: {answer.status} {answer.body[:300].decode(errors='replace')}"
            )
        return answer

    async def request_raw(
        self, method: str, path: str, headers: dict[str, str] | None, payload: bytes | None
    ) -> Answer:
        """Send these exact body bytes (JSON, when given): a signed webhook must arrive as
        it was signed."""
        lines = [f"{method} {path} HTTP/1.1", f"host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if payload is not None:
            lines.append("content-type: application/json")
        if payload is not None or method not in ("GET", "HEAD"):
            lines.append(f"content-length: {len(payload or b'')}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (payload or b"")
        return await self._exchange(data, method == "HEAD")

    async def _exchange(self, data: bytes, head: bool) -> Answer:
        fresh = self._writer is None
        if fresh:
            await self._connect()
        try:
            return await self._send(data, head)
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError):
            if fresh:
                raise
            # The server closed an idle keep-alive connection: open a new one, once.
            await self.close()
            await self._connect()
            return await self._send(data, head)

    async def _send(self, data: bytes, head: bool) -> Answer:
        assert self._reader is not None and self._writer is not None
        self._writer.write(data)
        await self._writer.drain()
        raw = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = raw[:-4].decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if head or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif "content-length" in headers:
            body = await self._reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunked()
        else:
            body = await self._reader.read()
            await self.close()
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Answer(status, headers, body)

    async def _chunked(self) -> bytes:
        assert self._reader is not None
        parts: list[bytes] = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
