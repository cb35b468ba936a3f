"""Processes that outlive their stores and their siblings, as real `shop` processes:

- `shop run` restarts a child that dies (kill -9), with a log line, while the others keep
  serving; Ctrl-C still stops everything;
- the gateway and the worker start while a store refuses connections, say so on /healthz
  (503, naming it) with one log line instead of a traceback, and recover by themselves.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from infra.settings import Settings
from tests.support.faults import fault_proxy
from tests.support.processes import SHOP_BIN, gateway_process, shop_env, shop_process
from tests.support.servers import free_port, poll_until

START = 60.0  # a loaded machine starting Python processes


def pids(log: Path) -> dict[str, int]:
    line = next(line for line in log.read_text().splitlines() if "gateway pid" in line)
    return {name: int(pid) for name, pid in re.findall(r"(\w[\w ]*?) pid (\d+)", line)}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped) counts as gone.
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split(") ")[1][0] != "Z"


def test_shop_run_restarts_a_dead_child_and_keeps_the_others(
    settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "run.log"
    env = shop_env(settings, PORT=str(port))
    env["STRIPE_API_BASE"] = str(settings.stripe_api_base)  # the session's emulator
    url = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        run = subprocess.Popen(
            [str(SHOP_BIN), "run"], env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        poll_until(lambda: "the shop is open" in log.read_text(), START, "shop run to start")
        children = pids(log)
        os.kill(children["worker"], signal.SIGKILL)
        poll_until(lambda: "worker restarted" in log.read_text(), START, "the worker restart")
        text = log.read_text()
        assert re.search(r"worker \(pid \d+\) exited with code -9; restarting in 1 s", text), text
        assert alive(children["gateway"])  # the others kept serving
        assert httpx.get(f"{url}/ping", timeout=10).json() == "pong"

        os.kill(children["gateway"], signal.SIGKILL)
        poll_until(lambda: "gateway restarted" in log.read_text(), START, "the gateway restart")

        def answering() -> bool:
            try:
                return httpx.get(f"{url}/ping", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        poll_until(answering, START, "the restarted gateway")
        restarted = [int(pid) for pid in re.findall(r"restarted \(pid (\d+)\)", log.read_text())]
        assert all(alive(pid) for pid in restarted)

        run.send_signal(signal.SIGINT)  # Ctrl-C
        assert run.wait(30) == 0
        assert not any(alive(pid) for pid in restarted)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(10)


DOWN_AT_START = {
    "read_store": (("127.0.0.1", 3306), "read_store_url"),
    "event_store": (("127.0.0.1", 5432), "event_store_url"),
}


@pytest.mark.parametrize("store", sorted(DOWN_AT_START))
def test_processes_start_while_a_store_refuses_and_recover(
    backend: str, settings: Settings, tmp_path: Path, store: str
) -> None:
    if backend == "sqlite":
        pytest.skip("an embedded SQLite file cannot be down")
    target, setting = DOWN_AT_START[store]
    with fault_proxy(target) as proxy:
        proxy.refuse()
        down = settings.model_copy(update={setting: proxy.url_for(str(getattr(settings, setting)))})
        health_port = free_port()
        gateway_log, worker_log = tmp_path / "gateway.log", tmp_path / "worker.log"
        with (
            shop_process(down, ["worker", "--health-port", str(health_port)], worker_log) as worker,
            gateway_process(down, gateway_log, DB_CONNECT_TIMEOUT="1") as url,
            httpx.Client(base_url=url, timeout=30) as http,
        ):
            health = http.get("/healthz")
            assert health.status_code == 503
            checks = health.json()["checks"]
            assert checks[store].startswith("down"), checks
            assert all(v in ("ok", "not configured") for k, v in checks.items() if k != store)
            starting = http.get("/products")
            assert starting.status_code == 503
            assert int(starting.headers["Retry-After"]) > 0

            def worker_health() -> int:
                try:
                    return httpx.get(
                        f"http://127.0.0.1:{health_port}/healthz", timeout=3
                    ).status_code
                except httpx.TransportError:
                    return 0

            poll_until(lambda: worker_health() == 503, START, "the worker's /healthz")
            assert worker.poll() is None
            for log in (gateway_log, worker_log):
                assert "Traceback" not in log.read_text(), log.read_text()[-3000:]

            proxy.heal()
            poll_until(lambda: http.get("/healthz").status_code == 200, START, "recovery")
            poll_until(lambda: http.get("/products").status_code == 200, START, "recovery")
            poll_until(lambda: worker_health() == 200, START, "the worker's recovery")
            lines = gateway_log.read_text().splitlines()
            assert len(lines) < 20, lines  # a line per change of state, not a flood
