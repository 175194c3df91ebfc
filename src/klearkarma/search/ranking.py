"""The ranking formula (documented with its reasoning in docs/search.md).

    text     = 0.8 * coverage + 0.2 * ts_rank           (coverage: share of query words matched;
                                                         ts_rank over any of the words)
    rating   = (PRIOR_WEIGHT * PRIOR_MEAN + n * r) / (PRIOR_WEIGHT + n) / 5
    sessions = min(1, ln(1 + total_sessions) / ln(1 + SESSIONS_SATURATION))
    quality  = 0.75 * rating + 0.25 * sessions
    score    = text * (0.8 + 0.2 * quality)              (no text query: score = quality)

Quality can move a score by at most a quarter, so a practitioner who matches more of the words
always outranks one who matches fewer; among equal matches, well-reviewed and busy practitioners
come first. The Bayesian average keeps a single five-star review from beating forty 4.8s.

Quality depends only on the practitioner, so it is stored: ``practitioners.search_quality`` is a
generated column (migration 0008) with a public index, which lets a broad search take its best
candidates in index order. ``quality_of`` is the same formula in Python, for tests and tools.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression

from klearkarma.practitioners.models import Practitioner

# The blend's weights (text relevance; quality's share of a score). The in-memory index applies
# the same constants in the same order of operations, so both give identical scores.
RELEVANCE_COVERAGE = 0.8
RELEVANCE_RANK = 0.2
QUALITY_BASE = 0.8
QUALITY_SHARE = 0.2
PRIOR_MEAN = 4.0
PRIOR_WEIGHT = 5.0
SESSIONS_SATURATION = 1000


def quality_of(rating: float, review_count: int, total_sessions: int) -> float:
    """What ``practitioners.search_quality`` holds for these figures (0..1)."""
    bayesian = (PRIOR_WEIGHT * PRIOR_MEAN + review_count * rating) / (PRIOR_WEIGHT + review_count)
    sessions = min(1.0, math.log(1.0 + total_sessions) / math.log(1.0 + SESSIONS_SATURATION))
    return 0.75 * bayesian / 5.0 + 0.25 * sessions


def quality() -> SQLColumnExpression[Any]:
    """The stored quality of the practitioner row in the query."""
    return Practitioner.search_quality


def text_relevance(
    coverage: ColumnElement[Any] | float, rank: ColumnElement[Any]
) -> ColumnElement[Any]:
    return RELEVANCE_COVERAGE * coverage + RELEVANCE_RANK * rank


def blended(text: ColumnElement[Any], quality: SQLColumnExpression[Any]) -> ColumnElement[Any]:
    return text * (QUALITY_BASE + QUALITY_SHARE * quality)
