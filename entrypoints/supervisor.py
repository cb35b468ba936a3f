"""`shop run`: the whole shop on this machine, on the embedded default unless told otherwise.

Starts the Stripe emulator (when no Stripe API base is configured), the gateway serving both
APIs and the storefront, and the projection worker, each as its own process, and stops them
all together. Only a development convenience: production runs each process on its own.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from infra.settings import VAR_DIR, load_settings

CHILD_STOP_SECONDS = 10


def _dev_jwt_secret() -> str:
    """A per-checkout secret kept in var/ (git-ignored), so local tokens survive restarts."""
    path = VAR_DIR / "jwt-secret"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", *args], env=env)


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
        env["STRIPE_API_BASE"] = emulator.url
        print(f"stripe emulator (localstripe) on {emulator.url}", flush=True)
    os.environ.update(env)
    settings = load_settings()  # one clear line and exit if anything is malformed

    children = [
        _spawn(["entrypoints.cli", "serve", "gateway", "--port", str(port)], env),
        _spawn(["entrypoints.cli", "worker"], env),
    ]
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        _wait_for_http(f"http://127.0.0.1:{port}/ping")
        if emulator is not None:
            from entrypoints.stripe_emulator import register_emulator_webhook

            register_emulator_webhook(settings, f"http://127.0.0.1:{port}/webhooks/stripe")
        print(f"the shop is open at http://127.0.0.1:{port}  (Ctrl-C stops it)", flush=True)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(CHILD_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
        if emulator is not None:
            emulator.stop()
    failed = [child.returncode for child in children if child.returncode not in (0, -15, None)]
    if failed and not stopping:
        raise SystemExit(f"a shop process exited with code {failed[0]}")


def main() -> None:
    Path(VAR_DIR).mkdir(exist_ok=True)
    run_local_shop()
