"""Turn the EVENT_STORE_URL setting into the eventsourcing library's environment."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from infra.db import sqlite_path
from infra.settings import Settings


def event_store_env(settings: Settings, pool_size: int | None = None) -> dict[str, str]:
    """The environment for domain.shop.Shop; see ../shared/notes/eventsourcing.md.

    `pool_size` fixes the PostgreSQL pool at that many connections, no overflow (the worker).

    POSTGRES_ENABLE_DB_FUNCTIONS is deliberately never set: it skips the table lock that keeps
    insert order equal to commit order, and followers would then miss events.
    """
    url = settings.event_store_url
    cache = (
        {"AGGREGATE_CACHE_MAXSIZE": str(settings.aggregate_cache_size)}
        if settings.aggregate_cache_size
        else {}
    )
    if url.startswith("sqlite:///"):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": str(settings.db_lock_timeout * 3),
            "CREATE_TABLE": "y",
            **cache,
        }
    parts = urlsplit(url)
    return {
        # The library's PostgreSQL factory, built without connecting (start while it is down).
        "PERSISTENCE_MODULE": "infra.event_store_guard:GuardedPostgresFactory",
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_CONNECT_TIMEOUT": str(settings.db_connect_timeout),
        "POSTGRES_LOCK_TIMEOUT": str(settings.db_lock_timeout),
        # A fixed pool (no overflow): requests queue for a connection instead of opening one.
        # No pre-ping: connections are recycled by age instead.
        "POSTGRES_POOL_SIZE": str(pool_size or settings.event_store_pool_size),
        "POSTGRES_MAX_OVERFLOW": "0",
        "POSTGRES_PRE_PING": "n",
        "POSTGRES_CONN_MAX_AGE": str(settings.db_pool_recycle_seconds),
        # Not at construction (it would connect, and fail while the server is down):
        # Services.setup() creates the tables.
        "CREATE_TABLE": "n",
        **cache,
    }
