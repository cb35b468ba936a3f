"""Fresh, temporary stores for one benchmark run, removed afterwards.

The real services are created and dropped exactly as the tests do it (tests/support/stores.py).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infra.settings import Settings, load_settings
from tests.support.stores import ServiceStores
from tests.support.stores import services_problem as services_problem

BENCH_JWT_SECRET = "bench-secret-" + "b" * 40
# What a gateway process needs to know, passed to it as environment variables.
_ENV_FIELDS = ("event_store_url", "read_store_url", "redis_url", "redis_namespace", "jwt_secret")


@contextmanager
def scratch_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="shop-bench-") as name:
        yield Path(name)


@contextmanager
def fresh_services(tag: str) -> Iterator[dict[str, str]]:
    """A new PostgreSQL database, MariaDB database and Redis namespace, dropped afterwards."""
    name = f"bench_{tag}_{uuid.uuid4().hex[:8]}"
    with ServiceStores().fresh(name) as urls:
        yield {**urls, "redis_namespace": name}


def bench_settings(**overrides: object) -> Settings:
    """Settings from the given stores only: no REDIS_URL unless given, low bcrypt cost."""
    values: dict[str, object] = {
        "jwt_secret": BENCH_JWT_SECRET,
        "bcrypt_rounds": 4,
        "redis_url": None,
        "redis_namespace": "bench",
    }
    values.update(overrides)
    return load_settings(**values)


def settings_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    for name in _ENV_FIELDS:
        value = getattr(settings, name)
        env[name.upper()] = "" if value is None else str(value)
    env["BCRYPT_ROUNDS"] = str(settings.bcrypt_rounds)
    return env
