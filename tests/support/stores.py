"""Fresh databases on the real services, created and dropped around each test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pymysql
import redis

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
MYSQL = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
REDIS_URL = "redis://127.0.0.1:6379/0"


def services_problem() -> str | None:
    """Why the services backend cannot be used, or None when all three answer."""
    try:
        psycopg.connect(**PG, connect_timeout=3).close()  # type: ignore[arg-type]
    except Exception as error:
        return f"PostgreSQL: {error}"
    try:
        pymysql.connect(**MYSQL, connect_timeout=3).close()  # type: ignore[arg-type]
    except Exception as error:
        return f"MariaDB: {error}"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as error:
        return f"Redis: {error}"
    return None


class ServiceStores:
    @contextmanager
    def fresh(self, name: str) -> Iterator[dict[str, str]]:
        with psycopg.connect(**PG, autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(f'CREATE DATABASE "{name}"')
        mysql = pymysql.connect(**MYSQL, autocommit=True)  # type: ignore[arg-type]
        with mysql.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        try:
            yield {
                "event_store_url": f"postgresql://postgres@127.0.0.1:5432/{name}",
                "read_store_url": f"mysql+pymysql://root@127.0.0.1:3306/{name}",
                "redis_url": REDIS_URL,
            }
        finally:
            with mysql.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            mysql.close()
            with psycopg.connect(**PG, autocommit=True) as conn:  # type: ignore[arg-type]
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(f"{name}:*", count=1000))
            if keys:
                client.delete(*keys)
            client.close()
