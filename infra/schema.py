"""Alembic, run by the shop: `shop migrate` (and `shop run`) upgrade both schemas, every
other process only checks that they are current (and waits, answering 503, until they are).

Two trees under migrations/: `accounts` in the event store's database, `views` in the read
store; each records its revision in a version table of its own, so one database may hold
both. The event tables themselves are the eventsourcing library's (it creates them).
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, inspect, text

from infra.db import make_engine
from infra.settings import Settings, load_settings

log = logging.getLogger("shop.migrate")

# Blue/green rebuilds (workers/bluegreen.py) keep transient tables beside the live ones.
_TRANSIENT_SUFFIXES = ("__next", "__old")
# Long enough for DDL on a big table (MySQL's socket read time-out bounds each statement).
STATEMENT_SECONDS = 3600
LOCK_SECONDS = 600


@dataclass(frozen=True)
class Tree:
    """One migrations tree: which database it is for and where its revision is kept."""

    name: str
    version_table: str
    # True: every table of its database is the tree's (the read store); False: only the
    # tables its models declare (the event store's database also holds the library's).
    owns_database: bool

    @property
    def directory(self) -> Path:
        spec = importlib.util.find_spec("migrations")
        assert spec is not None and spec.submodule_search_locations is not None
        return Path(next(iter(spec.submodule_search_locations))) / self.name

    def url(self, settings: Settings) -> str:
        return settings.event_store_url if self is ACCOUNTS else settings.read_store_url


ACCOUNTS = Tree("accounts", "alembic_version_accounts", owns_database=False)
VIEWS = Tree("views", "alembic_version_views", owns_database=True)
TREES = (ACCOUNTS, VIEWS)


class SchemaError(Exception):
    """The migrations cannot run as they are (several heads, say): one line saying why."""


def alembic_config(
    tree: Tree, connection: Connection | None = None, target_metadata: MetaData | None = None
) -> Config:
    """A Config for `tree`; with `connection`, migrations run on it (in its transaction)."""
    config = Config()
    config.set_main_option("script_location", str(tree.directory))
    config.attributes["connection"] = connection
    config.attributes["target_metadata"] = target_metadata
    return config


@cache
def _script(tree: Tree) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(tree))


def head(tree: Tree) -> str:
    heads = _script(tree).get_heads()
    if len(heads) != 1:
        raise SchemaError(
            f"migrations/{tree.name} has {len(heads)} heads {sorted(heads)}: add a merge"
            " revision (alembic merge) so there is one"
        )
    return heads[0]


def current(conn: Connection, tree: Tree) -> str | None:
    """The revision the database is at (None: never migrated)."""
    # A plain query, not alembic's MigrationContext: processes call this every 2 s while
    # waiting, and the context logs two lines each time.
    if not inspect(conn).has_table(tree.version_table):
        return None
    found = conn.execute(text(f"SELECT version_num FROM {tree.version_table}")).scalar()
    return None if found is None else str(found)


def problem(tree: Tree, revision: str | None) -> str | None:
    """Why a process of this code must not use a database at `revision`, or None.

    A revision this code does not know was written by newer code (a rolling deploy migrates
    first): accepted, since revisions add before they remove (docs/deploy.md)."""
    wanted = head(tree)
    if revision == wanted:
        return None
    if revision is None:
        return f"the {tree.name} schema is not migrated: run `shop migrate`"
    try:
        _script(tree).get_revision(revision)
    except Exception:
        log.warning("%s schema at %s, newer than this code's %s", tree.name, revision, wanted)
        return None
    return f"the {tree.name} schema is at {revision}, this code needs {wanted}: run `shop migrate`"


def check(conn: Connection, tree: Tree) -> None:
    """Raise SchemaError unless the database's schema suits this code."""
    found = problem(tree, current(conn, tree))
    if found:
        raise SchemaError(found)


@dataclass(frozen=True)
class Migrated:
    tree: Tree
    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.before == self.after:
            return f"{self.tree.name}: at {self.after} (nothing to do)"
        return f"{self.tree.name}: {self.before or 'empty'} -> {self.after}"


def upgrade(engine: Engine, tree: Tree, revision: str = "head") -> Migrated:
    """Upgrade one database, holding a lock so concurrent runs take turns. PostgreSQL runs it
    in one transaction; MariaDB (and SQLite's driver) commit each DDL statement by itself, so
    a revision is written to be run again after a failure half-way (the baselines are)."""
    head(tree)  # one head, or a clear SchemaError before touching anything
    with engine.connect() as conn, _exclusive(conn, tree):
        with conn.begin():
            before = current(conn, tree)
            command.upgrade(alembic_config(tree, conn), revision)
            after = current(conn, tree)
        return Migrated(tree, before, after)


def migrate(settings: Settings) -> list[Migrated]:
    """Upgrade both schemas of these settings to this code's heads."""
    done = []
    for tree in TREES:
        engine = make_engine(
            tree.url(settings),
            pool_size=1,
            timeout=settings.db_connect_timeout,
            io_timeout=STATEMENT_SECONDS,
        )
        try:
            done.append(upgrade(engine, tree))
        finally:
            engine.dispose()
    return done


@contextmanager
def _exclusive(conn: Connection, tree: Tree) -> Iterator[None]:
    """One migrator at a time per database and tree (a session lock, outside the transaction).
    None on SQLite: the embedded default is migrated by `shop run` alone."""
    name = f"shop-migrate-{tree.name}"
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text("SELECT pg_advisory_lock(hashtext(:n))"), {"n": name})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(hashtext(:n))"), {"n": name})
            conn.commit()
    elif dialect == "mysql":
        got = conn.execute(text("SELECT GET_LOCK(:n, :s)"), {"n": name, "s": LOCK_SECONDS}).scalar()
        conn.commit()
        if got != 1:
            raise SchemaError(f"another migration of {tree.name} held its lock {LOCK_SECONDS} s")
        try:
            yield
        finally:
            conn.execute(text("SELECT RELEASE_LOCK(:n)"), {"n": name})
            conn.commit()
    else:
        yield


# -- env.py of each tree ------------------------------------------------------------------------


def run_env(context: Any, tree: Tree, code_schema: Callable[[], MetaData] | None = None) -> None:
    """What migrations/<tree>/env.py runs: on the connection `upgrade` gives, or (the alembic
    CLI) on the database the settings name. `code_schema`: the models, for autogenerate."""
    if context.is_offline_mode():
        raise SchemaError("offline (--sql) migrations are not supported: the baseline inspects")
    config = context.config
    target = config.attributes.get("target_metadata")
    if (
        target is None
        and code_schema is not None
        and getattr(config.cmd_opts, "autogenerate", False)
    ):
        target = code_schema()
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(context, tree, connection, target)
        return
    # Migrations sign no tokens: JWT_SECRET may be unset here.
    secret = {} if os.environ.get("JWT_SECRET") else {"jwt_secret": "migrations-" + "0" * 40}
    url = tree.url(load_settings(**secret))
    engine = make_engine(url, pool_size=1, io_timeout=STATEMENT_SECONDS)
    try:
        with engine.connect() as conn, _exclusive(conn, tree), conn.begin():
            _run(context, tree, conn, target)
    finally:
        engine.dispose()


def _run(context: Any, tree: Tree, connection: Connection, target: MetaData | None) -> None:
    context.configure(
        connection=connection,
        target_metadata=target,
        version_table=tree.version_table,
        include_name=_include_name(tree, target),
        include_object=_include_object(connection),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _include_name(tree: Tree, target: MetaData | None) -> Callable[..., bool]:
    declared = set(target.tables) if target is not None else set()

    def include(name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ != "table" or name is None:
            return True
        if name in declared:
            return True
        if not tree.owns_database or name.startswith("alembic_version"):
            return False
        return not name.endswith(_TRANSIENT_SUFFIXES)

    return include


def _include_object(conn: Connection) -> Callable[..., bool]:
    """SQLite does not reflect a column's inline UNIQUE (the accounts table has two): compare
    unique constraints on the other databases only."""
    sqlite = conn.dialect.name == "sqlite"

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return not (sqlite and type_ == "unique_constraint")

    return include


def differences(conn: Connection, tree: Tree, models: MetaData) -> list[Any]:
    """What autogenerate would write to make the database match `models` (empty: they
    agree). The tests hold migrations and models together with it."""
    from alembic.autogenerate import compare_metadata

    context = MigrationContext.configure(
        conn,
        opts={
            "version_table": tree.version_table,
            "target_metadata": models,
            "include_name": _include_name(tree, models),
            "include_object": _include_object(conn),
            "compare_type": True,
        },
    )
    return list(compare_metadata(context, models))
