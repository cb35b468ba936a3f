"""A batch of events applied to SQL views in memory, then written with a few bulk statements.

Handlers never talk to the database. Before a batch is applied, each projection says which
rows its events will read (`plan`); the store loads them with one SELECT per table and
column, the handlers change them here, and the store writes the difference: one multi-row
INSERT for new rows, one upsert for changed ones, one DELETE for removed ones. A product
revised three times in a batch is written once; an order's currency is found in memory,
not by a SELECT per history line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Executable, Table

Key = tuple[Any, ...]
Row = dict[str, Any]
_MISSING = object()


class NotPlanned(LookupError):
    """A handler read or changed a row its projection did not plan to load: a bug in
    the projection's plan(), reported as such rather than as a wrong view."""


class DuplicateRow(ValueError):
    """A handler inserted a row that is already there."""


@dataclass
class TableRows:
    """One table's rows as a batch sees them: as loaded, and as the batch leaves them."""

    table: Table
    key_columns: tuple[str, ...] = ()
    loaded: dict[Key, Row] = field(default_factory=dict)  # rows as stored before the batch
    current: dict[Key, Row | None] = field(default_factory=dict)  # None: absent or deleted
    # (column, value) pairs whose rows are all here: loaded, or known to be new.
    known: set[tuple[str, Any]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.key_columns = tuple(column.name for column in self.table.primary_key.columns)

    def key_of(self, row: Mapping[str, Any]) -> Key:
        return tuple(row[name] for name in self.key_columns)

    def is_known(self, key: Key) -> bool:
        return key in self.current or any(
            (name, value) in self.known for name, value in zip(self.key_columns, key, strict=True)
        )

    def changes(self) -> tuple[list[Row], list[Row], list[Key]]:
        """(new rows to insert, changed rows to upsert, keys to delete)."""
        inserts: list[Row] = []
        upserts: list[Row] = []
        deletes: list[Key] = []
        for key, row in self.current.items():
            before = self.loaded.get(key)
            if row is None:
                if before is not None:
                    deletes.append(key)
            elif before is None:
                inserts.append(row)
            elif row != before:
                upserts.append(row)
        return inserts, upserts, deletes


class Plan:
    """What a batch must load before its events are applied."""

    def __init__(self) -> None:
        self.loads: dict[Column[Any], set[Any]] = {}
        self.new: dict[Column[Any], set[Any]] = {}

    def load(self, column: Column[Any], value: Any) -> None:
        """The rows whose `column` equals `value` (a primary key, or a key prefix)."""
        if value not in self.new.get(column, ()):
            self.loads.setdefault(column, set()).add(value)

    def fresh(self, column: Column[Any], value: Any) -> None:
        """This event creates the rows whose `column` equals `value`: none exist before it,
        so later events of the batch need not look them up."""
        if value not in self.loads.get(column, ()):
            self.new.setdefault(column, set()).add(value)


class ViewBatch:
    """The rows of a projection's tables that one batch reads and writes, in memory."""

    def __init__(self, tables: Iterable[Table]) -> None:
        self.tables = {table: TableRows(table) for table in tables}
        self.statements: list[Executable] = []

    # -- filled by the store ----------------------------------------------------------------

    def loaded(self, column: Column[Any], values: Iterable[Any], rows: Iterable[Row]) -> None:
        rows_of = self.tables[column.table]
        for value in values:
            rows_of.known.add((column.name, value))
        for row in rows:
            key = rows_of.key_of(row)
            rows_of.loaded[key] = row
            rows_of.current[key] = dict(row)

    def fresh(self, column: Column[Any], values: Iterable[Any]) -> None:
        """No rows with these `column` values existed before the batch."""
        self.tables[column.table].known.update((column.name, value) for value in values)

    # -- used by handlers ---------------------------------------------------------------------

    def row(self, table: Table, key: Any) -> Row | None:
        """The row with this primary key (a value, or a tuple for a composite key), or None.
        Read it only: change it with update()."""
        rows = self.tables[table]
        full = _key(key)
        found = rows.current.get(full, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        if rows.is_known(full):
            return None
        raise NotPlanned(f"{table.name} row {key!r} was not planned for loading")

    def where(self, table: Table, column: str, value: Any) -> list[Row]:
        """The rows whose `column` equals `value`; that column and value must be planned."""
        rows = self.tables[table]
        if (column, value) not in rows.known:
            raise NotPlanned(f"{table.name} rows with {column}={value!r} were not planned")
        return [row for row in rows.current.values() if row is not None and row[column] == value]

    def insert(self, table: Table, **values: Any) -> None:
        """A new row; columns not given take their model's default (a column added later
        needs no change to older code that inserts rows)."""
        rows = self.tables[table]
        for column in table.columns:
            if (
                column.name not in values
                and column.default is not None
                and column.default.is_scalar
            ):
                values[column.name] = column.default.arg  # type: ignore[attr-defined]
        key = rows.key_of(values)
        if rows.current.get(key) is not None:
            raise DuplicateRow(f"{table.name} already has a row {key!r}")
        rows.current[key] = values

    def update(
        self, table: Table, key: Any, add: Mapping[str, int] | None = None, **values: Any
    ) -> bool:
        """Set `values` (and add to the columns in `add`) on the row with this key; False
        (and nothing changed) when there is no such row."""
        row = self.row(table, key)
        if row is None:
            return False
        row.update(values)
        for name, amount in (add or {}).items():
            row[name] += amount
        return True

    def delete(self, table: Table, key: Any) -> None:
        if self.row(table, key) is not None:
            self.tables[table].current[_key(key)] = None

    def execute(self, statement: Executable) -> None:
        """A set-based change no key names (e.g. DELETE ... WHERE expires_at < :t), run in the
        batch's transaction after its rows are written. Only for changes whose outcome does not
        depend on their order among the batch's events, and never on rows it reads."""
        self.statements.append(statement)

    def __iter__(self) -> Iterator[TableRows]:
        return iter(self.tables.values())


def _key(key: Any) -> Key:
    return key if isinstance(key, tuple) else (key,)
