"""Alembic environment: migrations run over psycopg (sync) under an advisory lock.

The lock makes concurrent start-ups of several replicas safe: one migrates, the others wait and
then find nothing to do.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

from klearkarma.config import Settings
from klearkarma.core.migrate import MIGRATION_LOCK_ID, migration_url
from klearkarma.tables import metadata

config = context.config


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    # procrastinate owns its tables; they come from its schema file, not from our models.
    return not (name or "").startswith("procrastinate_")


def run_migrations() -> None:
    # Set by klearkarma.core.migrate; a hand-run `alembic` falls back to DATABASE_URL.
    url = config.attributes.get("database_url") or Settings().database_url
    if not url:
        raise RuntimeError("no database URL given to the migration environment")
    engine = create_engine(migration_url(url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            context.run_migrations()
    engine.dispose()


run_migrations()
