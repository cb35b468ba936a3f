"""The real gateway (command + query apps) under uvicorn, in its own process on loopback, so
the client driving it does not share its interpreter (or its GIL)."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.stores import settings_env
from infra.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gateway(settings: Settings, start_timeout: float = 60.0) -> Iterator[str]:
    """Serve the gateway for `settings`; yields its base URL. No access log: it would cost
    the same in every variant and only blur the ratios."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "entrypoints.gateway:create_gateway",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=settings_env(settings), stdout=log, stderr=log
        )
        try:
            _wait_ready(process, url, start_timeout, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(process: subprocess.Popen[bytes], url: str, timeout: float, log: object) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"{url}/products", params={"limit": 1}, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    log.seek(0)  # type: ignore[attr-defined]
    output = log.read().decode(errors="replace")[-2000:]  # type: ignore[attr-defined]
    raise RuntimeError(f"the gateway did not start (exit code {process.poll()}):\n{output}")
