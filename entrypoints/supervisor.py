"""`shop run`: the whole shop on this machine, on the embedded default unless told otherwise.

Starts the Stripe emulator (when no Stripe API base is configured), the gateway serving both
APIs and the storefront, and the projection worker, each as its own process. A child that
dies is started again (with backoff and a log line) while the others keep serving; Ctrl-C
stops them all. Only a development convenience: production runs each process on its own.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from infra.settings import VAR_DIR, Settings, load_settings

if TYPE_CHECKING:
    from entrypoints.stripe_emulator import EmulatorProcess

CHILD_STOP_SECONDS = 10
SUPERVISE_SECONDS = 0.5
# A child that dies is started again after 1 s, then 2, 4 ... at most 30 s; the delay starts
# over once a child has run for a minute.
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0
BACKOFF_RESET_SECONDS = 60.0


def _dev_jwt_secret() -> str:
    """A per-checkout secret kept in var/ (git-ignored), so local tokens survive restarts."""
    path = VAR_DIR / "jwt-secret"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class Child:
    """A supervised process: started again (with backoff) whenever it exits on its own."""

    def __init__(self, name: str, start: Callable[[], subprocess.Popen[bytes]]) -> None:
        self.name = name
        self._start = start
        self.process = start()
        self.started_at = time.monotonic()
        self.failures = 0
        self.restart_at: float | None = None

    def check(self, now: float) -> None:
        """Notice an exit (one log line) and restart when its backoff has passed."""
        if self.restart_at is None:
            code = self.process.poll()
            if code is None:
                return
            if now - self.started_at > BACKOFF_RESET_SECONDS:
                self.failures = 0  # it had been running well: start again soon
            delay = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2**self.failures)
            self.failures += 1
            self.restart_at = now + delay
            _say(
                f"{self.name} (pid {self.process.pid}) exited with code {code};"
                f" restarting in {delay:g} s"
            )
        elif now >= self.restart_at:
            self.restart_at = None
            self.process = self._start()
            self.started_at = now
            _say(f"{self.name} restarted (pid {self.process.pid})")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self) -> None:
        try:
            self.process.wait(CHILD_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _say(message: str) -> None:
    print(f"shop run: {message}", flush=True)


def _spawn(args: list[str], env: dict[str, str]) -> Callable[[], subprocess.Popen[bytes]]:
    return lambda: subprocess.Popen([sys.executable, "-m", *args], env=env)


def _emulator_child(
    emulator: EmulatorProcess, settings: Settings, webhook_url: str
) -> Callable[[], subprocess.Popen[bytes]]:
    """The emulator, restarted on its port; it forgets webhooks, so they are registered again."""
    from entrypoints.stripe_emulator import register_emulator_webhook

    def start() -> subprocess.Popen[bytes]:
        if not emulator.running:
            emulator.stop()
            emulator.start()
        register_emulator_webhook(settings, webhook_url)
        assert emulator.process is not None
        return emulator.process

    return start


def _wait_for_http(url: str, timeout: float = 30.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up within {timeout:.0f} s")


def _migrate(settings: Settings) -> None:
    """The same migrations as `shop migrate` (compose's migrate service), before any child."""
    from infra.services import migrate_stores

    try:
        done = migrate_stores(settings)
    except Exception as error:
        first = (str(error).strip().splitlines() or [""])[0]
        raise SystemExit(f"migrations failed: {type(error).__name__}: {first}") from None
    for step in done:
        _say(f"schema {step}")


def run_local_shop() -> None:
    env = dict(os.environ)
    env.setdefault("JWT_SECRET", _dev_jwt_secret())
    port = int(env.get("PORT", "8000"))
    emulator = None
    if not env.get("STRIPE_API_BASE") and not env.get("STRIPE_SECRET_KEY", "").startswith(
        "sk_live"
    ):
        from entrypoints.stripe_emulator import EmulatorProcess

        emulator = EmulatorProcess(quiet=True).start()
        emulator.pin_port()  # a restart comes back where the shop expects it
        env["STRIPE_API_BASE"] = emulator.url
        print(f"stripe emulator (localstripe) on {emulator.url}", flush=True)
    os.environ.update(env)
    settings = load_settings()  # one clear line and exit if anything is malformed
    try:
        _migrate(settings)
    except BaseException:
        if emulator is not None:
            emulator.stop()
        raise

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    children = [
        Child("gateway", _spawn(["entrypoints.cli", "serve", "gateway", "--port", str(port)], env)),
        Child("worker", _spawn(["entrypoints.cli", "worker"], env)),
    ]
    try:
        if emulator is not None:
            webhook = f"http://127.0.0.1:{port}/webhooks/stripe"
            children.append(Child("stripe emulator", _emulator_child(emulator, settings, webhook)))
        _say(", ".join(f"{child.name} pid {child.process.pid}" for child in children))
        _wait_for_http(f"http://127.0.0.1:{port}/ping")
        print(f"the shop is open at http://127.0.0.1:{port}  (Ctrl-C stops it)", flush=True)
        while not stopping:
            now = time.monotonic()
            for child in children:
                child.check(now)
            time.sleep(SUPERVISE_SECONDS)
    finally:
        for child in children:
            child.stop()
        for child in children:
            child.wait()
        if emulator is not None:
            emulator.stop()


def main() -> None:
    Path(VAR_DIR).mkdir(exist_ok=True)
    run_local_shop()
