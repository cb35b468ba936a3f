"""The bench's own databases on the real services, created for one run and dropped after it:
`bench_<random>` on PostgreSQL (the project's event store) and `bench_<random>_bare` (the bare
checkout's), `bench_<random>` on MariaDB (the project's views), and a Redis namespace."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import pymysql
import redis

PG: dict[str, Any] = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
MYSQL: dict[str, Any] = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
REDIS_URL = "redis://127.0.0.1:6379/0"


def services_problem() -> str | None:
    """Why PostgreSQL, MariaDB or Redis cannot be used, or None when all three answer."""
    try:
        psycopg.connect(**PG, connect_timeout=3).close()
    except Exception as error:
        return f"PostgreSQL: {error}"
    try:
        pymysql.connect(**MYSQL, connect_timeout=3).close()
    except Exception as error:
        return f"MariaDB: {error}"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as error:
        return f"Redis: {error}"
    return None


def pg_url(database: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{database}"


def mariadb_url(database: str) -> str:
    return f"mysql+pymysql://root@127.0.0.1:3306/{database}"


@dataclass(frozen=True)
class Stores:
    name: str  # the project's PostgreSQL and MariaDB database, and its Redis namespace
    redis_url: str = REDIS_URL

    @property
    def event_store_url(self) -> str:
        return pg_url(self.name)

    @property
    def read_store_url(self) -> str:
        return mariadb_url(self.name)

    @property
    def bare_database(self) -> str:
        return f"{self.name}_bare"

    @contextmanager
    def scratch_mariadb(self, tag: str) -> Iterator[str]:
        """Another, empty MariaDB database (replays build into it), dropped afterwards."""
        database = f"{self.name}_{tag}"
        _create_mariadb(database)
        try:
            yield mariadb_url(database)
        finally:
            _drop_mariadb(database)


def _create_pg(database: str) -> None:
    with psycopg.connect(**PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')


def _drop_pg(database: str) -> None:
    with psycopg.connect(**PG, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _create_mariadb(database: str) -> None:
    conn = pymysql.connect(**MYSQL, autocommit=True)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
    finally:
        conn.close()


def _drop_mariadb(database: str) -> None:
    conn = pymysql.connect(**MYSQL, autocommit=True)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
    finally:
        conn.close()


def _drop_redis_namespace(namespace: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(f"{namespace}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    finally:
        client.close()


@contextmanager
def fresh_stores() -> Iterator[Stores]:
    """New databases for one run; everything is dropped on the way out, even after a failure."""
    stores = Stores("bench_" + uuid.uuid4().hex[:10])
    created: list[tuple[Callable[[str], None], str]] = []
    try:
        databases: list[tuple[Callable[[str], None], Callable[[str], None], str]] = [
            (_create_pg, _drop_pg, stores.name),
            (_create_pg, _drop_pg, stores.bare_database),
            (_create_mariadb, _drop_mariadb, stores.name),
        ]
        for create, drop, database in databases:
            create(database)
            created.append((drop, database))
        yield stores
    finally:
        for drop, database in reversed(created):
            drop(database)
        _drop_redis_namespace(stores.name)
