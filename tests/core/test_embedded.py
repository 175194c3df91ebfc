"""The embedded PostgreSQL a newcomer gets with no DATABASE_URL is a real, migratable server."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from klearkarma.core import migrate
from klearkarma.core.embedded import embedded_database_url


def test_embedded_server_creates_database_and_takes_migrations(tmp_path: Path) -> None:
    url = embedded_database_url(tmp_path, database="kk_embedded_probe")
    again = embedded_database_url(tmp_path, database="kk_embedded_probe")

    migrate.upgrade(url)

    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as connection:
        version = connection.execute(text("SHOW server_version")).scalar_one()
        modalities = connection.execute(text("SELECT count(*) FROM modalities")).scalar_one()
        database = connection.execute(text("SELECT current_database()")).scalar_one()
    engine.dispose()
    assert url == again
    assert int(str(version).split(".")[0]) >= 15
    assert modalities == 18
    assert database == "kk_embedded_probe"
    assert (tmp_path / "pgdata" / "PG_VERSION").is_file()
