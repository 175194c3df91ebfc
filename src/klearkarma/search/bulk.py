"""Bulk loads (``klearkarma seed``): index the loaded practitioners once, not once per COPY.

Row by row, the triggers would compute each document when the practitioner is copied and again
when its services are; at 100,000 practitioners that doubled the seed's time. Inside a bulk load
the triggers step aside (a transaction-local setting) and the rows are indexed in one pass.
"""

from __future__ import annotations

import uuid

import asyncpg


async def pause(conn: asyncpg.Connection) -> None:
    """Tell the search triggers to step aside until this transaction ends or ``catch_up``."""
    await conn.execute("SELECT set_config('klearkarma.search_bulk', 'on', true)")


async def catch_up(conn: asyncpg.Connection, practitioner_ids: list[uuid.UUID]) -> None:
    """Index the loaded practitioners (documents, vocabulary, suggestions); triggers resume."""
    await conn.execute("SELECT search_reindex($1::uuid[])", practitioner_ids)
    await conn.execute("SELECT set_config('klearkarma.search_bulk', 'off', true)")
