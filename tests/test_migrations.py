"""The migrations build exactly the schema the models describe, and can be rolled back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from klearkarma.core import migrate
from klearkarma.tables import metadata
from tests.conftest import scratch_database


@pytest.fixture
def scratch_url(server_url: str) -> Iterator[str]:
    with scratch_database(server_url, "kk_mig") as url:
        yield url


def table_names(url: str) -> set[str]:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_models_and_migrations_do_not_drift(database_url: str) -> None:
    migrate.check(database_url)  # raises when autogenerate would emit any operation


def test_upgrade_creates_every_table_and_downgrade_removes_them(scratch_url: str) -> None:
    migrate.upgrade(scratch_url)
    created = table_names(scratch_url)

    assert set(metadata.tables) <= created
    assert {"procrastinate_jobs", "procrastinate_events"} <= created

    from alembic import command

    command.downgrade(migrate.alembic_config(scratch_url), "base")

    assert table_names(scratch_url) == {"alembic_version"}


def test_upgrade_is_idempotent(scratch_url: str) -> None:
    migrate.upgrade(scratch_url)
    migrate.upgrade(scratch_url)  # a second replica starting finds nothing to do

    engine = create_engine(make_url(scratch_url).set(drivername="postgresql+psycopg"))
    with engine.connect() as connection:
        modalities = connection.execute(text("SELECT count(*) FROM modalities")).scalar_one()
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    assert modalities == 18
    assert version == "0009"
