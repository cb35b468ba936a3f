"""Running the real `shop` command as a separate process, configured like the test's shop."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infra.settings import Settings
from tests.support.servers import RATE_LIMITS

ROOT = Path(__file__).resolve().parents[2]
SHOP_BIN = ROOT / ".venv" / "bin" / "shop"
SETTING_NAMES = {name.upper() for name in Settings.model_fields}


def shop_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a real `shop` process: the test's settings, none inherited."""
    # PGAPPNAME too: a CLI command run inside pytest sets it for this process, and each shop
    # process names its own connections unless a test names them.
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES and k != "PGAPPNAME"}
    env.update(
        EVENT_STORE_URL=settings.event_store_url,
        READ_STORE_URL=settings.read_store_url,
        REDIS_NAMESPACE=settings.redis_namespace,
        JWT_SECRET=settings.jwt_secret,
        BCRYPT_ROUNDS=str(settings.bcrypt_rounds),
        PYTHONPATH=str(ROOT),
        REQUEST_TIMEOUT=str(settings.request_timeout),
    )
    for name in RATE_LIMITS:
        key = f"rate_limit_{name}"
        env[key.upper()] = getattr(settings, key)
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    env.update(extra)
    return env


@contextmanager
def shop_process(
    settings: Settings, args: list[str], log: Path, **extra: str
) -> Iterator[subprocess.Popen[bytes]]:
    """A real `shop …` process with the test's settings (its output in `log`); stopped with
    SIGTERM (then killed) on the way out."""
    env = shop_env(settings, **extra)
    if settings.stripe_api_base:
        env.setdefault("STRIPE_API_BASE", settings.stripe_api_base)
    env.setdefault("STRIPE_WEBHOOK_SECRET", settings.stripe_webhook_secret)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(SHOP_BIN), *args], env=env, cwd=log.parent, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        process.wait(10)


@contextmanager
def gateway_process(settings: Settings, log: Path, **extra: str) -> Iterator[str]:
    """`shop serve gateway` on a free port; yields its URL once it answers /ping."""
    import httpx

    from tests.support.servers import free_port, poll_until

    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def answering() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the gateway exited: {log.read_text()[-3000:]}")
        try:
            return httpx.get(f"{url}/ping", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    with shop_process(settings, ["serve", "gateway", "--port", str(port)], log, **extra) as process:
        poll_until(answering, 60, f"the gateway on port {port}")
        yield url
