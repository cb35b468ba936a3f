"""Alembic's entry point for the accounts tree: `shop migrate` and the alembic CLI run it."""

from alembic import context
from sqlalchemy import MetaData

from infra.schema import ACCOUNTS, run_env


def code_schema() -> MetaData:
    from infra.private_store import private_metadata

    return private_metadata


run_env(context, ACCOUNTS, code_schema)
