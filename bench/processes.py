"""The processes under test: started with their own environment and log file, ready when
they answer HTTP, stopped (terminate, then kill) on the way out, whatever happened."""

from __future__ import annotations

import http.client
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int, path: str) -> bool:
    """Any HTTP answer: the process is up (a degraded /healthz still answers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        conn.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


@contextmanager
def running(
    name: str,
    command: list[str],
    env: dict[str, str],
    logs: Path,
    port: int,
    ready_path: str = "/ping",
    timeout: float = 90.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` until the block ends; ready once GET `ready_path` on `port` answers."""
    log_path = logs / f"{name}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + timeout
            # Polls a port being bound: there is no event to wait on.
            while not _answers(port, ready_path):
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-3000:]
                    raise RuntimeError(
                        f"{name} did not start (exit code {process.poll()}); its log:\n{tail}"
                    )
                time.sleep(0.1)
            yield process
        finally:
            stop(process)


def stop(process: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
