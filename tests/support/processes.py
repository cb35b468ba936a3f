"""Running the real `shop` command as a separate process, configured like the test's shop."""

from __future__ import annotations

import os
from pathlib import Path

from infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SHOP_BIN = ROOT / ".venv" / "bin" / "shop"
SETTING_NAMES = {name.upper() for name in Settings.model_fields}


def shop_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a real `shop` process: the test's settings, none inherited."""
    env = {key: value for key, value in os.environ.items() if key not in SETTING_NAMES}
    env.update(
        EVENT_STORE_URL=settings.event_store_url,
        READ_STORE_URL=settings.read_store_url,
        REDIS_NAMESPACE=settings.redis_namespace,
        JWT_SECRET=settings.jwt_secret,
        BCRYPT_ROUNDS=str(settings.bcrypt_rounds),
        PYTHONPATH=str(ROOT),
    )
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    env.update(extra)
    return env
