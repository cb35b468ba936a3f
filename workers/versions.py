"""Which version of each projection's code built its live view, and the fence of a switch.

A projection declares `version` (projections/base.py). The read store keeps, per view, the
version its live view was built by and a state: "live", or "switching" while a blue/green
rebuild (workers/bluegreen.py) swaps a new build in (`next_version` says which). Every
commit of a live view is fenced on this row: the position's compare-and-set (SQL) or the
check inside the WATCH (Redis) passes only while the row says "live" at the writer's version,
so a worker running other code, or one that has not noticed a switch, cannot write.

Views set up before versions existed get version 1 (what every projection declared then).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Double,
    Engine,
    Integer,
    String,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from infra.read_store import views_metadata

LIVE = "live"
SWITCHING = "switching"

projection_versions = Table(
    "projection_versions",
    views_metadata,
    Column("name", String(64), primary_key=True),
    Column("version", Integer, nullable=False),  # the code version the live view was built by
    Column("state", String(16), nullable=False),  # live | switching
    Column("next_version", Integer),  # the version being built beside it, if any
    Column("build_position", BigInteger),  # how far that build has got (for status)
    Column("updated_at", Double, nullable=False),
)


@dataclass(frozen=True)
class ViewVersion:
    name: str
    version: int
    state: str
    next_version: int | None
    build_position: int | None


def read_version(engine: Engine | Connection, name: str) -> ViewVersion | None:
    query = select(projection_versions).where(projection_versions.c.name == name)
    if isinstance(engine, Connection):
        row = engine.execute(query).first()
    else:
        with engine.connect() as conn:
            row = conn.execute(query).first()
    if row is None:
        return None
    return ViewVersion(row.name, row.version, row.state, row.next_version, row.build_position)


def ensure_version(engine: Engine, name: str, version: int) -> None:
    """The row of a view being set up: `version` for a new view, 1 for a view that existed
    before versions did (the caller says which, by what it passes)."""
    try:
        with engine.begin() as conn:
            if read_version(conn, name) is None:
                conn.execute(
                    insert(projection_versions).values(
                        name=name, version=version, state=LIVE, updated_at=time.time()
                    )
                )
    except IntegrityError:
        pass  # another process created it first


def set_version(conn: Connection, name: str, **values: object) -> None:
    conn.execute(
        update(projection_versions)
        .where(projection_versions.c.name == name)
        .values(updated_at=time.time(), **values)
    )


def is_live(engine: Engine, name: str, version: int) -> bool:
    found = read_version(engine, name)
    return found is not None and found.state == LIVE and found.version == version
