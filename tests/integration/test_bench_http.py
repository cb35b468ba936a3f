"""The load generator's HTTP client against a real loopback server that answers the ways a
server may: Content-Length, chunked, closing the connection, and closing an idle keep-alive
connection (which the client must survive by reconnecting once)."""

from __future__ import annotations

import asyncio

import pytest

from bench.http import Connection, UnexpectedAnswer

ANSWERS = {
    b"/length": b'HTTP/1.1 200 OK\r\ncontent-length: 7\r\nx-event-position: 42\r\n\r\n{"a":1}',
    b"/chunked": (
        b"HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n"
        b'4\r\n{"a"\r\n3\r\n:2}\r\n0\r\n\r\n'
    ),
    b"/close": b'HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{"a":3}',
    b"/missing": b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}",
}


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers requests on one connection; after /length it closes the connection, as a
    server does with an idle keep-alive connection."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ")[1]
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            await reader.readexactly(length)
            writer.write(ANSWERS[path])
            await writer.drain()
            if path in (b"/close", b"/length"):
                break
    except asyncio.IncompleteReadError:
        pass
    finally:
        writer.close()


def test_the_client_reads_every_kind_of_answer_and_reconnects() -> None:
    async def scenario() -> list[object]:
        server = await asyncio.start_server(_serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        conn = Connection(f"http://127.0.0.1:{port}")
        try:
            first = await conn.request("GET", "/length", expect=200)
            # The server has closed that connection: the next request reconnects.
            chunked = await conn.request("POST", "/chunked", body={"x": 1}, expect=201)
            closed = await conn.request("GET", "/close", expect=200)
            again = await conn.request("GET", "/length", expect=200)
            with pytest.raises(UnexpectedAnswer, match="404"):
                await conn.request("GET", "/missing", expect=200)
            return [
                first.json(),
                first.headers["x-event-position"],
                chunked.json(),
                closed.json(),
                again.json(),
            ]
        finally:
            await conn.close()
            server.close()
            await server.wait_closed()

    assert asyncio.run(scenario()) == [{"a": 1}, "42", {"a": 2}, {"a": 3}, {"a": 1}]
