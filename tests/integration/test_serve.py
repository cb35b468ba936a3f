"""`shop serve` as a real process: uvicorn's fast loop and parser (uvloop, httptools) are
what it runs on, and it writes no access log unless ACCESS_LOG asks for one."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from infra.settings import Settings
from tests.support.processes import SHOP_BIN, shop_env
from tests.support.servers import free_port, poll_until


@contextmanager
def serving(
    settings: Settings, tmp_path: Path, **env: str
) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    port = free_port()
    log = tmp_path / f"serve-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(SHOP_BIN), "serve", "query", "--port", str(port)],
            env=shop_env(settings, **env),
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        poll_until(lambda: _answers(url) or process.poll() is not None, 30, "shop serve")
        assert process.poll() is None, log.read_text()
        yield url, process, log
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ping", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_serve_runs_on_uvloop_and_httptools_without_an_access_log(
    backend: str, settings: Settings, tmp_path: Path
) -> None:
    if backend != "sqlite":
        pytest.skip("how the server runs does not depend on the stores")
    with serving(settings, tmp_path) as (url, process, log):
        for _ in range(3):
            assert httpx.get(f"{url}/products").status_code == 200
        # The native modules are loaded in the server process (what uvicorn picked, not
        # merely what is installed).
        maps = Path(f"/proc/{process.pid}/maps").read_text()
        assert "uvloop" in maps and "httptools" in maps
    assert "GET /products" not in log.read_text()

    with serving(settings, tmp_path, ACCESS_LOG="true") as (url, _, log):
        assert httpx.get(f"{url}/products").status_code == 200
    assert "GET /products" in log.read_text()
