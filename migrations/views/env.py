"""Alembic's entry point for the views tree: `shop migrate` and the alembic CLI both run it."""

from alembic import context
from sqlalchemy import MetaData

from infra.schema import VIEWS, run_env


def code_schema() -> MetaData:
    from workers.schema import views_schema

    return views_schema()


run_env(context, VIEWS, code_schema)
