"""Alembic's entry point for the accounts tree: `shop migrate` and the alembic CLI run it."""

from alembic import context
from sqlalchemy import MetaData

from infra.schema import ACCOUNTS, run_env


def code_schema() -> MetaData:
    from infra.accounts import accounts_metadata

    return accounts_metadata


run_env(context, ACCOUNTS, code_schema)
