"""Migrations (migrations/, infra/schema.py): stores set up by the release before migrations
upgrade with their data kept, processes refuse stores that are not migrated, and the
migrations make exactly the schema the code declares, so a schema change without its
revision fails here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, insert, select, text
from typer.testing import CliRunner

from entrypoints.cli import app
from infra import schema
from infra.db import make_engine
from infra.private_store import private_metadata as accounts_metadata
from infra.read_store import projection_positions
from infra.security import Passwords
from infra.services import Services, StoresNotReady
from infra.settings import Settings
from projections.catalog import catalog_products
from workers.analysis import analysis_replays
from workers.schema import views_schema
from workers.versions import projection_versions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _run_script(engine: Engine, name: str) -> None:
    """A fixture's SQL: the schema as the release before migrations created it."""
    script = (FIXTURES / f"{name}.{engine.dialect.name}.sql").read_text()
    statements = [
        "\n".join(line for line in s.splitlines() if not line.startswith("--"))
        for s in script.split(";")
    ]
    with engine.begin() as conn:
        for statement in statements:
            if statement.strip():
                conn.exec_driver_sql(statement)


def test_an_earlier_release_s_stores_upgrade_with_their_data(
    unmigrated_settings: Settings,
) -> None:
    settings = unmigrated_settings
    events, views = (
        make_engine(url, pool_size=1) for url in (settings.event_store_url, settings.read_store_url)
    )
    product_id, user_id = uuid.uuid4(), uuid.uuid4()
    try:
        _run_script(events, "accounts_before_migrations")
        _run_script(views, "views_before_migrations")
        postgres = events.dialect.name == "postgresql"
        now = datetime.now(UTC)
        with events.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accounts (id, username, username_key, email, password_hash,"
                    " role, created_at) VALUES (:id, 'Old', 'old', 'old@example.com', :hash,"
                    " 'admin', :at)"
                ),
                {
                    "id": user_id if postgres else user_id.hex,
                    "hash": Passwords(4).hash("old password"),
                    "at": now if postgres else now.strftime("%Y-%m-%d %H:%M:%S.%f"),
                },
            )
        with views.begin() as conn:
            # The earlier release's columns only (today's model would add later ones).
            conn.execute(
                text(
                    "INSERT INTO catalog_products (id, name, description, price, currency,"
                    " stock, version, delisted, listed_position, created_at, updated_at)"
                    " VALUES (:id, 'Teapot', '', 1999, 'EUR', 5, 1, :no, 3, :at, :at)"
                ),
                {
                    "id": product_id if views.dialect.name == "mysql" else product_id.hex,
                    "no": False,
                    "at": now.replace(tzinfo=None),
                },
            )
            conn.execute(insert(projection_positions).values(name="catalog", position=7))
            conn.execute(
                insert(projection_versions).values(
                    name="catalog", version=2, state="live", updated_at=now.timestamp()
                )
            )

        services = Services(settings)
        try:
            # A process waits for `shop migrate` (the APIs answer 503 meanwhile).
            with pytest.raises(StoresNotReady, match="shop migrate"):
                services.setup()

            env = {
                "EVENT_STORE_URL": settings.event_store_url,
                "READ_STORE_URL": settings.read_store_url,
            }
            first = CliRunner().invoke(app, ["migrate"], env=env)
            assert first.exit_code == 0, first.output
            assert f"accounts: empty -> {schema.head(schema.ACCOUNTS)}" in first.output
            assert f"views: empty -> {schema.head(schema.VIEWS)}" in first.output
            again = CliRunner().invoke(app, ["migrate"], env=env)
            assert again.exit_code == 0, again.output
            assert "(nothing to do)" in again.output

            services.setup()
            user = services.accounts.authenticate("old@example.com", "old password")
            assert user is not None and (user.id, user.role) == (user_id, "admin")
        finally:
            services.close()
        with views.connect() as conn:
            assert conn.execute(select(catalog_products.c.name)).scalars().all() == ["Teapot"]
            assert conn.execute(select(projection_positions.c.position)).scalar() == 7
            assert conn.execute(select(projection_versions.c.version)).scalar() == 2
            # The table the earlier process never made is there now.
            assert conn.execute(select(analysis_replays)).all() == []
            schema.check(conn, schema.VIEWS)
    finally:
        events.dispose()
        views.dispose()


@pytest.mark.parametrize("tree", schema.TREES, ids=lambda tree: tree.name)
def test_the_migrations_make_the_schema_the_code_declares(
    settings: Settings, tree: schema.Tree
) -> None:
    """A model changed without a revision (or a revision without the model) shows here:
    `alembic revision --autogenerate` (README, "Migrations") writes the missing one."""
    models: MetaData = accounts_metadata if tree is schema.ACCOUNTS else views_schema()
    engine = make_engine(tree.url(settings), pool_size=1)
    try:
        with engine.connect() as conn:
            assert schema.differences(conn, tree, models) == []
            assert schema.current(conn, tree) == schema.head(tree)
    finally:
        engine.dispose()


def test_which_revisions_a_process_accepts() -> None:
    """Its own head; a revision it does not know (newer code migrated first, in a rolling
    deploy); never an unmigrated store."""
    for tree in schema.TREES:
        assert schema.problem(tree, schema.head(tree)) is None
        assert schema.problem(tree, f"{tree.name}_9999_from_the_future") is None
        assert "run `shop migrate`" in (schema.problem(tree, None) or "")
