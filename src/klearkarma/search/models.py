"""Tables of the search context: the read model that triggers keep beside the practitioners.

The tsvector columns themselves live on ``practitioners`` and ``services`` (declared there so that
Alembic sees one schema); these two tables are search's own: the spelling vocabulary and the
prefix-suggestion index. Both are filled by the triggers of migration 0006 the moment a public
practitioner or service appears, and recounted (and pruned) by ``search_refresh()``.
"""

from __future__ import annotations

from sqlalchemy import Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from klearkarma.core.db import Base


class SearchTerm(Base):
    """A word that occurs in some public practitioner's document, with how many use it."""

    __tablename__ = "search_terms"

    term: Mapped[str] = mapped_column(Text, primary_key=True)
    frequency: Mapped[int] = mapped_column(Integer, default=1)


class SearchSuggestion(Base):
    """A completion that aggregates many rows (a city, a service name), keyed by its lower case.

    Practitioner names are not copied here: they are completed straight from ``practitioners``
    through a partial prefix index, so a suspension hides a name at once.
    """

    __tablename__ = "search_suggestions"
    __table_args__ = (
        Index("ix_search_suggestions_key", "key", postgresql_ops={"key": "text_pattern_ops"}),
    )

    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    weight: Mapped[int] = mapped_column(Integer, default=1)
