"""Typo tolerance without pg_trgm or fuzzystrmatch (the embedded PostgreSQL has neither).

A word that is not in the vocabulary (``search_terms``: every surface word of a public document,
kept by triggers) is compared with vocabulary words of similar length that share its first or
second letter, by Damerau-Levenshtein distance (optimal string alignment) computed here in Python.

Every search asks about its words, so each process keeps the vocabulary in memory (a snapshot,
loaded again when the shared ``search-suggest-version`` moves: the changes that can add or drop
a document word are the ones that move it) and answers without a round trip. Whether a word is
an English stop word ("the", "with": the 'english' documents drop them) is PostgreSQL's answer,
asked once per word with the word's lexemes (its stem, which the in-memory index looks up) and
remembered for the life of the process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from klearkarma.core.db import Database
from klearkarma.platform import platform_of
from klearkarma.search.cache import snapshot_fresh
from klearkarma.search.query import Terms


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


_REMEMBERED_WORDS = 200_000  # stop-word answers kept; past it the memory starts again
_REMEMBERED_CORRECTIONS = 10_000

_TERMS = "SELECT term, frequency FROM search_terms"
# A word's lexemes as the 'english' configuration makes them (none: a stop word).
_LEXEMES = (
    "SELECT w, tsvector_to_array(to_tsvector('english'::regconfig, w)) FROM unnest($1::text[]) AS w"
)

Bucket = tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """One snapshot of ``search_terms``, with the words grouped by length and first letters."""

    version: bytes | None
    loaded_at: float
    frequency: Mapping[str, int]
    by_first: Mapping[tuple[int, str], Bucket]  # (length, first letter)
    by_second: Mapping[tuple[int, str], Bucket]  # (length, second letter)
    corrections: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: list[tuple[str, int]], version: bytes | None) -> Vocabulary:
        first: dict[tuple[int, str], list[tuple[str, int]]] = {}
        second: dict[tuple[int, str], list[tuple[str, int]]] = {}
        for term, frequency in rows:
            if not term:
                continue
            first.setdefault((len(term), term[0]), []).append((term, frequency))
            if len(term) > 1:
                second.setdefault((len(term), term[1]), []).append((term, frequency))
        return cls(
            version=version,
            loaded_at=time.monotonic(),
            frequency=dict(rows),
            by_first={key: tuple(words) for key, words in first.items()},
            by_second={key: tuple(words) for key, words in second.items()},
        )

    def candidates(self, word: str) -> list[tuple[str, int]]:
        """Vocabulary words of a length within reach that start with the word's first letter (a
        typo later in the word) or its second (an extra first letter), or whose second letter is
        its first (a missing first letter)."""
        limit = max_edits(word)
        found: dict[str, int] = {}
        for length in range(len(word) - limit, len(word) + limit + 1):
            for bucket in (
                self.by_first.get((length, word[0]), ()),
                self.by_first.get((length, word[1]), ()),
                self.by_second.get((length, word[0]), ()),
            ):
                found.update(bucket)
        return list(found.items())

    def correction(self, word: str) -> str | None:
        """The vocabulary word an unknown ``word`` was probably meant to be, remembered."""
        if word in self.corrections:
            return self.corrections[word]
        fixed = best_match(word, self.candidates(word)) if max_edits(word) else None
        if len(self.corrections) >= _REMEMBERED_CORRECTIONS:
            self.corrections.clear()
        self.corrections[word] = fixed
        return fixed


@dataclass
class Spelling:
    """One process's vocabulary snapshot and the lexemes it has learnt words have."""

    vocabulary: Vocabulary | None = None
    lexemes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def current(self, db: Database, version: bytes | None) -> Vocabulary:
        """The vocabulary as of ``version`` (the shared ``search-suggest-version``)."""
        vocabulary = self.vocabulary
        if vocabulary is not None and snapshot_fresh(vocabulary, version):
            return vocabulary
        async with self.lock:
            vocabulary = self.vocabulary
            if vocabulary is None or not snapshot_fresh(vocabulary, version):
                rows = [(term, int(n)) for term, n in await db.read_all(_TERMS)]
                vocabulary = self.vocabulary = Vocabulary.of(rows, version)
            return vocabulary

    async def analyse(
        self, db: Database, version: bytes | None, terms: Terms
    ) -> tuple[Terms, dict[str, str]]:
        """Drop stop words, correct unknown words; returns the terms to search and the
        corrections. No round trip unless the vocabulary moved or a word is new to the process."""
        if not terms.words:
            return terms, {}
        vocabulary = await self.current(db, version)
        await self._learn(db, terms.words)
        kept: list[str] = []
        corrections: dict[str, str] = {}
        for word in terms.words:
            if not self.lexemes[word]:
                continue  # a stop word ("the", "with") matches nothing in the 'english' documents
            kept.append(word)
            if word not in vocabulary.frequency and word.isalpha():
                fixed = vocabulary.correction(word)
                if fixed is not None and fixed != word:
                    corrections[word] = fixed
        used = Terms(tuple(kept)).replace(corrections)
        await self._learn(db, used.words)  # the corrections' lexemes, for the index
        return used, corrections

    async def _learn(self, db: Database, words: tuple[str, ...]) -> None:
        """Ask PostgreSQL for the lexemes of the ``words`` this process has not seen yet."""
        new = [w for w in words if w not in self.lexemes]
        if not new:
            return
        if len(self.lexemes) + len(new) > _REMEMBERED_WORDS:
            self.lexemes.clear()  # and ask for every word: the caller reads them all
            new = list(dict.fromkeys(words))
        rows = await db.read_all(_LEXEMES, new)
        self.lexemes.update((word, tuple(lexemes)) for word, lexemes in rows)


@dataclass(frozen=True, slots=True)
class Speller:
    """A process's ``Spelling`` as one request uses it: on this database, at this version."""

    spelling: Spelling
    db: Database
    version: bytes | None

    async def analyse(self, terms: Terms) -> tuple[Terms, dict[str, str]]:
        return await self.spelling.analyse(self.db, self.version, terms)

    def lexemes_of(self, words: tuple[str, ...]) -> list[tuple[str, ...]] | None:
        """Each word's lexemes ('english'), as learnt by ``analyse``; None if one is unknown."""
        known = self.spelling.lexemes
        if any(w not in known for w in words):
            return None
        return [known[w] for w in words]

    def documents_with(self, word: str) -> int:
        """How many public documents have ``word`` as written (0 if unknown, or before any
        ``analyse``): a lower bound on its stem's matches, which also match other forms."""
        vocabulary = self.spelling.vocabulary
        return 0 if vocabulary is None else vocabulary.frequency.get(word, 0)


def speller_of(connection: HTTPConnection, version: bytes | None) -> Speller:
    """The serving application's ``Spelling`` (one per process), for this request, on the
    application's database."""
    state = connection.app.state
    spelling: Spelling | None = getattr(state, "search_spelling", None)
    if spelling is None:
        spelling = state.search_spelling = Spelling()
    return Speller(spelling, platform_of(connection).db, version)
