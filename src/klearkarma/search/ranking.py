"""The ranking formula, in SQL expressions (documented with its reasoning in docs/search.md).

    text     = 0.8 * coverage + 0.2 * ts_rank_cd        (coverage: share of query words matched)
    rating   = (PRIOR_WEIGHT * PRIOR_MEAN + n * r) / (PRIOR_WEIGHT + n) / 5
    sessions = min(1, ln(1 + total_sessions) / ln(1 + SESSIONS_SATURATION))
    quality  = 0.75 * rating + 0.25 * sessions
    score    = text * (0.8 + 0.2 * quality)              (no text query: score = quality)

Quality can move a score by at most a quarter, so a practitioner who matches more of the words
always outranks one who matches fewer; among equal matches, well-reviewed and busy practitioners
come first. The Bayesian average keeps a single five-star review from beating forty 4.8s.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import ColumnElement, Float, cast, func

from klearkarma.practitioners.models import Practitioner

PRIOR_MEAN = 4.0
PRIOR_WEIGHT = 5.0
SESSIONS_SATURATION = 1000


def bayesian_rating() -> ColumnElement[Any]:
    """The rating pulled towards the prior until reviews outweigh it, scaled to 0..1."""
    count = cast(Practitioner.review_count, Float)
    rating = cast(Practitioner.rating, Float)
    return (PRIOR_WEIGHT * PRIOR_MEAN + count * rating) / (PRIOR_WEIGHT + count) / 5.0


def popularity() -> ColumnElement[Any]:
    sessions = func.ln(1.0 + cast(Practitioner.total_sessions, Float))
    return func.least(1.0, sessions / math.log(1.0 + SESSIONS_SATURATION))


def quality() -> ColumnElement[Any]:
    return 0.75 * bayesian_rating() + 0.25 * popularity()


def text_relevance(
    coverage: ColumnElement[Any] | float, rank: ColumnElement[Any]
) -> ColumnElement[Any]:
    return 0.8 * coverage + 0.2 * rank


def blended(text: ColumnElement[Any]) -> ColumnElement[Any]:
    return text * (0.8 + 0.2 * quality())
