"""Turning what a visitor typed into tsqueries, without ever letting them write tsquery syntax.

The text is cut into plain words (letters and digits only) before it reaches PostgreSQL, and each
word goes in as a bound parameter to ``plainto_tsquery``, which treats its input as words, not
operators. Quotes, ``& | ! :* ( )`` and SQL fragments are therefore just separators.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, SQLColumnExpression, func, literal_column
from sqlalchemy.dialects.postgresql import TSQUERY

MAX_QUERY_CHARS = 200  # longer is refused with 422 at the edge
MAX_TERMS = 8
MAX_TERM_CHARS = 40

# 'english' for the documents and queries: stemming lets "healers" find "healing" and
# "massages" find "massage". The spelling vocabulary uses 'simple' (see spelling.py).
CONFIG: ColumnElement[Any] = literal_column("'english'::regconfig")
# ts_rank weights in {D, C, B, A} order: a word in a specialization or service (A) counts ten
# times one in the bio (D).
RANK_WEIGHTS: ColumnElement[Any] = literal_column("'{0.1, 0.2, 0.4, 1.0}'::float4[]")
RANK_NORMALIZATION = 32  # rank / (rank + 1): bounded to 0..1 so it can be blended

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Terms:
    """The words of a query, lower-cased, deduplicated, in the order typed."""

    words: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.words)

    def replace(self, corrections: dict[str, str]) -> Terms:
        return Terms(tuple(dict.fromkeys(corrections.get(w, w) for w in self.words)))


def parse(raw: str | None) -> Terms:
    """Plain words only; an empty result means "no text search, just filters"."""
    if not raw:
        return Terms(())
    text = unicodedata.normalize("NFKC", raw[:MAX_QUERY_CHARS]).casefold()
    words = (w for w in _WORD.findall(text) if len(w) <= MAX_TERM_CHARS)
    return Terms(tuple(dict.fromkeys(words))[:MAX_TERMS])


def word_query(word: str | ColumnElement[Any]) -> ColumnElement[Any]:
    return func.plainto_tsquery(CONFIG, word, type_=TSQUERY)


def all_of(terms: Terms | ColumnElement[Any]) -> ColumnElement[Any]:
    """Every word must match (the default: precise and cheap, the index intersects)."""
    text = terms.text if isinstance(terms, Terms) else terms
    return func.plainto_tsquery(CONFIG, text, type_=TSQUERY)


def any_of(terms: Terms) -> ColumnElement[Any]:
    """At least one word matches (the fallback when no document has them all)."""
    queries = [word_query(w) for w in terms.words]
    return functools.reduce(lambda a, b: a.op("||", return_type=TSQUERY)(b), queries)


def matches(vector: SQLColumnExpression[Any], query: ColumnElement[Any]) -> ColumnElement[bool]:
    return vector.bool_op("@@")(query)


def rank(vector: SQLColumnExpression[Any], query: ColumnElement[Any]) -> ColumnElement[Any]:
    """``ts_rank`` of ``query``, always an OR of the words (``calc_rank_or``: each word's
    weighted occurrences, averaged over the words): the in-memory index computes exactly this
    from its posting lists (``search.index.term_rank``)."""
    return func.ts_rank(RANK_WEIGHTS, vector, query, RANK_NORMALIZATION, type_=Float)
