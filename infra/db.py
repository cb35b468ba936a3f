"""The one SQLAlchemy engine factory for the read store, and its async twin for the query
side (same URLs, async drivers). The accounts table is on the event store's own pool (see
infra/accounts.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def sqlalchemy_url(url: str) -> str:
    """Pin the driver: psycopg 3 for PostgreSQL, PyMySQL for MariaDB/MySQL."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("mariadb+pymysql://"):
        return "mysql+pymysql://" + url.split("://", 1)[1]
    return url


def async_sqlalchemy_url(url: str) -> str:
    """The same database through an async driver: aiosqlite, aiomysql or psycopg 3's async."""
    url = sqlalchemy_url(url)
    scheme, rest = url.split("://", 1)
    driver = {
        "sqlite": "sqlite+aiosqlite",
        "mysql+pymysql": "mysql+aiomysql",
        "postgresql+psycopg": "postgresql+psycopg",
    }.get(scheme)
    if driver is None:
        raise ValueError(f"no async driver for {scheme}://")
    return f"{driver}://{rest}"


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def make_engine(
    url: str,
    pool_size: int = 8,
    recycle_seconds: int = 1800,
    timeout: float = 5.0,
    io_timeout: float | None = None,
) -> Engine:
    """A fixed pool of `pool_size` connections (no overflow, no pre-ping): requests queue for
    a connection instead of opening and closing one each (PyMySQL builds an SSL context per
    connect), and connections are replaced by age (`recycle_seconds`) instead of pinged.

    `timeout` bounds connecting, waiting for a pooled connection and (MySQL) each read and
    write on the socket, so a server that hangs fails the statement instead of the thread
    (and a poller such as the access cache recovers when the server answers again).
    `io_timeout` replaces it for reads and writes (migrations: DDL on a big table is slow)."""
    url = sqlalchemy_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict[str, Any] = {"connect_timeout": max(1, round(timeout))}
    if backend == "mysql":
        connect_args.update(
            charset="utf8mb4",
            read_timeout=max(1, round(io_timeout or timeout)),
            write_timeout=max(1, round(io_timeout or timeout)),
        )
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_recycle=recycle_seconds,
        pool_timeout=timeout,
        connect_args=connect_args,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; the busy timeout queues writers
    # instead of failing them with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_async_engine(url: str, pool_size: int, timeout: float) -> AsyncEngine:
    """An async engine for the query side: a fixed pool, no pre-ping, a bounded connect.

    No pre-ping: it costs a round trip per checkout. Connections are recycled well before
    a server's idle time-out instead, and the callers bound every use with `timeout` (a hung
    server then fails the request, and the interrupted connection is discarded).
    """
    url = async_sqlalchemy_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=timeout,
            connect_args={"timeout": timeout},
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict[str, Any] = {"connect_timeout": max(1, round(timeout))}
    if backend == "mysql":
        connect_args["charset"] = "utf8mb4"
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=False,
        pool_recycle=1800,
        pool_timeout=timeout,
        connect_args=connect_args,
    )
