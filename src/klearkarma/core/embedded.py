"""The embedded PostgreSQL a newcomer gets when no ``DATABASE_URL`` is set.

It is the real engine (from the ``pgserver`` wheel), so embedded mode runs the same SQL as
production. The server lives in ``DATA_DIR/pgdata`` and stops when the last process using it exits.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

DATABASE_NAME = "klearkarma"

_handles: dict[Path, Any] = {}
_PLAIN_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def embedded_database_url(data_dir: Path, database: str = DATABASE_NAME) -> str:
    """Start (or join) the embedded server and return the URL of ``database``, creating it."""
    pgdata = (data_dir / "pgdata").resolve()
    server = _handles.get(pgdata)
    if server is None:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs complains about XDG_RUNTIME_DIR
            import pgserver

            server = pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
        _handles[pgdata] = server
    if not _PLAIN_NAME.match(database):
        raise ValueError(f"database name {database!r} must be a plain identifier")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    uri: str = server.get_uri(database)
    return uri
