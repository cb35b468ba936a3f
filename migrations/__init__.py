"""Alembic migrations, one tree per database (see README "Migrations"):

- accounts/: the accounts table, in the event store's database (PostgreSQL or SQLite);
- views/: every SQL read model, in the read store (MariaDB/MySQL or SQLite).

Each tree has its own version table (alembic_version_accounts, alembic_version_views), so
both may share one database. `shop migrate` runs both (infra/schema.py); new revisions go in
<tree>/versions/. Nothing here imports the shop's code except env.py, to run.
"""
