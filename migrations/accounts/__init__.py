"""The accounts tree (Alembic reads env.py and versions/ from here)."""
