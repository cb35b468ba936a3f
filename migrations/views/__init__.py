"""The views tree (Alembic reads env.py and versions/ from here)."""
