"""Multi-row INSERT and upsert statements for MySQL/MariaDB, rendered here with their values.

PyMySQL's executemany escapes every value through a generic per-parameter dispatch: on a
replay that cost more CPU than reading and decoding the events. Here each column gets a
renderer chosen once from its type: integers through int(), UUIDs as their hex (how
SQLAlchemy's Uuid stores them on MySQL), UTC datetimes through UTCDateTime's own conversion,
strings through the driver's own escaping. A type not listed goes through its SQLAlchemy
bind processor and the driver's generic escaping, so no value reaches the SQL unescaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Boolean, Connection, Integer, String, Table, Text, Uuid
from sqlalchemy.engine import Dialect

from infra.read_store import UTCDateTime

# Bytes per statement: far below the server's max_allowed_packet (16 MB by default).
STATEMENT_BYTES = 1_000_000

Render = Callable[[Any, Any], str]  # (value not None, driver connection) -> SQL literal


def insert_rows(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], upsert: bool
) -> None:
    """INSERT the rows (or, with `upsert`, INSERT ... ON DUPLICATE KEY UPDATE every column
    but the key) in as few statements as fit STATEMENT_BYTES."""
    if not rows:
        return
    driver = conn.connection.driver_connection  # its escaping, which knows the server's mode
    head, tail, columns = _statement(table, conn.dialect, upsert)
    parts: list[str] = []
    size = 0
    for row in rows:
        values = [row.get(name) for name, _ in columns]
        rendered = (
            "("
            + ",".join(
                "NULL" if value is None else render(value, driver)
                for value, (_, render) in zip(values, columns, strict=True)
            )
            + ")"
        )
        parts.append(rendered)
        size += len(rendered) + 1
        if size >= STATEMENT_BYTES:
            _execute(conn, head + ",".join(parts) + tail)
            parts, size = [], 0
    if parts:
        _execute(conn, head + ",".join(parts) + tail)


def _execute(conn: Connection, statement: str) -> None:
    # No parameters at all: the driver then leaves the % signs of the values alone.
    conn.exec_driver_sql(statement, execution_options={"no_parameters": True})


@cache
def _statement(
    table: Table, dialect: Dialect, upsert: bool
) -> tuple[str, str, list[tuple[str, Render]]]:
    quote = dialect.identifier_preparer
    names = [quote.quote(column.name) for column in table.columns]
    head = f"INSERT INTO {quote.format_table(table)} ({', '.join(names)}) VALUES "
    tail = ""
    if upsert:
        keys = {column.name for column in table.primary_key.columns}
        others = [quote.quote(c.name) for c in table.columns if c.name not in keys]
        tail = " ON DUPLICATE KEY UPDATE " + ", ".join(f"{c} = VALUES({c})" for c in others)
    return head, tail, [(column.name, _renderer(column.type, dialect)) for column in table.columns]


def _renderer(kind: Any, dialect: Dialect) -> Render:
    if isinstance(kind, Boolean):
        return lambda value, _: "1" if value else "0"
    if isinstance(kind, Integer | BigInteger):
        return lambda value, _: str(int(value))
    if isinstance(kind, Uuid):
        return lambda value, _: f"'{_uuid(value).hex}'"
    if isinstance(kind, UTCDateTime):
        to_utc = kind.process_bind_param
        return lambda value, _: f"'{to_utc(value, dialect).isoformat(' ')}'"  # type: ignore[union-attr]
    if isinstance(kind, String | Text):
        return lambda value, driver: str(driver.escape(str(value)))
    process = kind._cached_bind_processor(dialect)

    def generic(value: Any, driver: Any) -> str:
        return str(driver.escape(process(value) if process is not None else value))

    return generic


def _uuid(value: Any) -> UUID:
    return value if type(value) is UUID else UUID(str(value))
