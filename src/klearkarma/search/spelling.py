"""Typo tolerance without pg_trgm or fuzzystrmatch (the embedded PostgreSQL has neither).

A word that is not in the vocabulary (``search_terms``: every surface word of a public document,
kept by triggers) is compared with vocabulary words of similar length that share its first or
second letter, by Damerau-Levenshtein distance (optimal string alignment) computed here in Python.
The candidate query is narrow (a few hundred words at most), so this costs well under a
millisecond; it runs only for unknown words, which most queries do not have.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

from klearkarma.search.models import SearchTerm
from klearkarma.search.query import CONFIG, Terms


def max_edits(word: str) -> int:
    """Short words have too many neighbours to correct safely: "yoga" is one edit from "toga"."""
    if len(word) <= 4:
        return 0
    return 1 if len(word) <= 8 else 2


def distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance, or ``limit + 1`` as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def best_match(word: str, candidates: list[tuple[str, int]]) -> str | None:
    """The closest candidate; ties go to the more frequent word, then the alphabetically first."""
    limit = max_edits(word)
    scored = [
        (d, -frequency, term)
        for term, frequency in candidates
        if (d := distance(word, term, limit)) <= limit
    ]
    return min(scored)[2] if scored else None


async def analyse(session: AsyncSession, terms: Terms) -> tuple[Terms, dict[str, str]]:
    """Drop stop words, correct unknown words; returns the terms to search and the corrections."""
    if not terms.words:
        return terms, {}
    word = (
        func.unnest(bindparam("words", list(terms.words), type_=ARRAY(Text)))
        .table_valued("w", with_ordinality="n")
        .render_derived(name="typed")
    )
    rows = await session.execute(
        select(
            word.c.w,
            func.numnode(func.plainto_tsquery(CONFIG, word.c.w)) > 0,
            select(literal(True)).where(SearchTerm.term == word.c.w).exists(),
            # The search that follows in this transaction is planned for its own words (see
            # search.service.CUSTOM_PLANS); asked here to save a round trip.
            func.set_config("plan_cache_mode", "force_custom_plan", True),
        ).order_by(word.c.n)
    )
    kept: list[str] = []
    corrections: dict[str, str] = {}
    for text, meaningful, known, _ in rows:
        if not meaningful:
            continue  # a stop word ("the", "with") matches nothing in the 'english' documents
        kept.append(text)
        if not known and text.isalpha() and max_edits(text):
            fixed = best_match(text, await _candidates(session, text))
            if fixed is not None and fixed != text:
                corrections[text] = fixed
    return Terms(tuple(kept)).replace(corrections), corrections


async def _candidates(session: AsyncSession, word: str) -> list[tuple[str, int]]:
    limit = max_edits(word)
    first, second = word[0], word[1]
    rows = await session.execute(
        select(SearchTerm.term, SearchTerm.frequency).where(
            func.length(SearchTerm.term).between(len(word) - limit, len(word) + limit),
            or_(
                func.left(SearchTerm.term, 1) == first,  # typo later in the word
                func.left(SearchTerm.term, 1) == second,  # an extra first letter
                func.substr(SearchTerm.term, 2, 1) == first,  # a missing first letter
            ),
        )
    )
    return [(term, int(frequency)) for term, frequency in rows]
