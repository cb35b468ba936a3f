"""The whole schema of the live read store as the code declares it: what Alembic's
migrations (migrations/views/) must produce, checked by autogenerate in the tests.

Tables are declared next to the code that writes them; importing those modules registers
them all in `views_metadata`, whichever process this is.
"""

from __future__ import annotations

from sqlalchemy import MetaData


def views_schema() -> MetaData:
    import workers.analysis
    import workers.status
    import workers.versions  # noqa: F401  (each registers its tables)
    from infra.read_store import views_metadata

    return views_metadata
