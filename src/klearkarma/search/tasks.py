"""Jobs of the search context."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text

from klearkarma.core.jobs import task
from klearkarma.search.cache import changed

if TYPE_CHECKING:
    from klearkarma.platform import Platform


@task("search.refresh", queue="default", periodic="17 * * * *")
async def refresh(platform: Platform) -> None:
    """Recount the vocabulary and suggestions and drop what hidden practitioners left behind.

    The triggers only ever add (exact bookkeeping on every write would tax the hot tables), so
    this hourly pass is what removes a suspended practitioner's city or a retired service's name.
    """
    async with platform.db.transaction() as session:
        await session.execute(text("SELECT search_refresh()"))
        changed(session, platform.cache)
