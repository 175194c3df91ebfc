"""Each process's in-memory index of the public practitioners, for the candidate half of a search.

Finding, filtering, ordering and faceting a search's candidates in PostgreSQL visits hundreds
to thousands of heap rows per search (docs/search.md), 6-11 ms of database CPU, on cores the
whole API shares. The same work over a few numpy arrays takes a fraction of a millisecond, so
each process keeps one: the public practitioners' filter and sort columns, and their search
documents as posting lists (lexeme -> practitioners and that lexeme's ``ts_rank`` share). The
documents themselves stay PostgreSQL's: the lexemes, weights and stems are the ones its triggers
wrote (``english``), read back from ``search_vector``; query words are stemmed by PostgreSQL too
(``spelling``). PostgreSQL still reads the page: the page's 20 rows are re-checked there against
visibility and every filter, so a change the index has not seen yet can never show a hidden
practitioner or one outside the filters (see ``service``).

Freshness: every practitioner insert and update takes a new ``search_revision`` (migration 0009).
Before a search the process compares the sequence with what it has seen, one small read, and
applies the changed rows (``Delta``) when it moved, so a search sees every change committed
before it started. A full reload replaces the index every ``MAX_AGE_SECONDS`` in the background
(it also drops the slots that changes left behind).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from klearkarma.practitioners.service import (
    EARTH_RADIUS_KM,
    Clause,
    DirectoryFilters,
    directory_clauses,
)
from klearkarma.search import ranking
from klearkarma.search.facets import PRICE_BANDS, facets_json
from klearkarma.search.schemas import MatchMode, SearchSort

Slots = npt.NDArray[np.int64]
_F32 = np.float32
# ts_rank's default weights in {D, C, B, A} order, as float4 (query.RANK_WEIGHTS)
_WEIGHT = {"D": _F32(0.1), "C": _F32(0.2), "B": _F32(0.4), "A": _F32(1.0)}


def term_rank(weights: str) -> float:
    """One lexeme's share of ``ts_rank`` for a document where it sits at positions with these
    weights (in position order): PostgreSQL's ``calc_rank_or`` (tsrank.c), in its float4
    arithmetic, so the index ranks exactly as the statement would."""
    resj, wjm, jm = _F32(0.0), _F32(-1.0), 0
    for position, letter in enumerate(weights or "D"):  # no positions: ranked as one D
        w = _WEIGHT[letter]
        resj = _F32(resj + w / _F32((position + 1) * (position + 1)))
        if w > wjm:
            wjm, jm = w, position
    spread = _F32(_F32(wjm + resj) - _F32(wjm / _F32((jm + 1) * (jm + 1))))
    return float(np.float64(spread) / 1.64493406685)


class _TermRanks(dict[str, float]):
    """Weight patterns to ``term_rank``, computed once each (a handful of patterns repeat)."""

    def __missing__(self, weights: str) -> float:
        value = self[weights] = term_rank(weights)
        return value


@dataclass(frozen=True, slots=True)
class Posting:
    slots: npt.NDArray[np.int32]
    ranks: npt.NDArray[np.float64]  # term_rank per slot


@dataclass(frozen=True, slots=True)
class Row:
    """One practitioner as the index keeps it (``public``: verified and active)."""

    id: uuid.UUID
    public: bool
    quality: float
    rating: int  # hundredths
    reviews: int
    rate: int  # cents
    experience: int
    online: bool
    in_person: bool
    lat: float | None
    lng: float | None
    city: str | None
    city_key: str | None  # PostgreSQL's lower(city)
    specializations: tuple[str, ...]
    languages: tuple[str, ...]
    lexemes: tuple[str, ...] = ()
    weights: tuple[str, ...] = ()  # per lexeme: its positions' weights, e.g. "AD"


@dataclass(frozen=True, slots=True)
class Codes:
    """A column of short texts (a city) as one small number per slot (-1: none)."""

    values: tuple[str, ...]  # code -> text
    codes: dict[str, int]
    of_slot: npt.NDArray[np.int32]

    @classmethod
    def of(cls, texts: Sequence[str | None], start: Codes | None = None) -> Codes:
        """``texts`` coded (after ``start``'s slots, keeping its codes when given)."""
        values = list(start.values) if start else []
        codes = dict(start.codes) if start else {}
        numbered = []
        for text in texts:
            if text is None:
                numbered.append(-1)
                continue
            if text not in codes:
                codes[text] = len(values)
                values.append(text)
            numbered.append(codes[text])
        found = np.asarray(numbered, dtype=np.int32)
        if start is not None:
            found = np.concatenate([start.of_slot, found])
        return cls(tuple(values), codes, found)

    def counts(self, slots: Slots) -> list[tuple[str, int]]:
        coded = self.of_slot[slots]
        counted = np.bincount(coded[coded >= 0], minlength=len(self.values))
        return [(self.values[code], int(counted[code])) for code in np.flatnonzero(counted)]


@dataclass(frozen=True, slots=True)
class Tags:
    """A column of text sets (specializations, languages) as a bit matrix: one bit per distinct
    value, so a filter is one masked test and the facet counts of 300 rows one bit count."""

    values: tuple[str, ...]  # bit -> text
    codes: dict[str, int]
    bits: npt.NDArray[np.uint8]  # (slots, bytes), little-endian bit order

    @classmethod
    def of(cls, sets: Sequence[tuple[str, ...]], start: Tags | None = None) -> Tags:
        values = list(start.values) if start else []
        codes = dict(start.codes) if start else {}
        numbered: list[list[int]] = []
        for texts in sets:
            row = []
            for text in texts:
                if text not in codes:
                    codes[text] = len(values)
                    values.append(text)
                row.append(codes[text])
            numbered.append(row)
        width = max(1, (len(values) + 7) // 8)
        bits = np.zeros((len(sets), width), dtype=np.uint8)
        for slot, row in enumerate(numbered):
            for code in row:
                bits[slot, code >> 3] |= 1 << (code & 7)
        if start is not None:
            old = start.bits
            if old.shape[1] < width:
                old = np.pad(old, ((0, 0), (0, width - old.shape[1])))
            bits = np.concatenate([old, bits])
        return cls(tuple(values), codes, bits)

    def having(self, slots: Slots, text: str) -> Slots:
        code = self.codes.get(text)
        if code is None:
            return slots[:0]
        kept: Slots = slots[(self.bits[slots, code >> 3] & (1 << (code & 7))) != 0]
        return kept

    def counts(self, slots: Slots) -> list[tuple[str, int]]:
        bits = np.unpackbits(self.bits[slots], axis=1, bitorder="little")
        each = np.ones(len(slots), dtype=np.float32) @ bits.astype(np.float32)  # BLAS: fastest
        return [(self.values[code], int(each[code])) for code in np.flatnonzero(each)]


@dataclass(frozen=True, slots=True, eq=False)
class Index:
    """The public practitioners, one slot each, column by column. Immutable: a change builds a
    new ``Index`` (``with_rows``) and the process swaps it in."""

    revision: int  # the highest search_revision it has applied
    # Ids as their 16 bytes, not UUID objects: bytes and ints are not tracked by the garbage
    # collector, so 100,000 of them add nothing to a full collection.
    ids: list[bytes]
    slot_of: dict[bytes, int]
    alive: npt.NDArray[np.bool_]  # False: a slot a later change replaced or hid
    id_hi: npt.NDArray[np.uint64]  # the id's bytes as two numbers: PostgreSQL's uuid order
    id_lo: npt.NDArray[np.uint64]
    quality: npt.NDArray[np.float64]
    rating: npt.NDArray[np.int64]
    reviews: npt.NDArray[np.int64]
    rate: npt.NDArray[np.int64]
    experience: npt.NDArray[np.int64]
    online: npt.NDArray[np.bool_]
    in_person: npt.NDArray[np.bool_]
    lat: npt.NDArray[np.float64]  # NaN where unknown
    lng: npt.NDArray[np.float64]
    city_keys: Codes  # PostgreSQL's lower(city), for the filter
    cities: Codes  # as written, for the facet
    specializations: Tags
    languages: Tags
    postings: dict[str, Posting]  # slots in ascending order
    # The first ``ordered`` slots are in a relevance search's candidate order (stored quality
    # descending, then id), as a full load numbers them; later ones (changes) are not.
    ordered: int
    # Where the loaded slots are: a grid of CELL_DEGREES squares, cell key -> slots in it
    # (``_cell_keys``). A radius search reads the cells its box touches instead of the place of
    # every match; slots from ``located`` on (changes) are not in the grid.
    cells: dict[int, Slots]
    located: int

    @classmethod
    def of(cls, rows: Sequence[Row], postings: dict[str, Posting], revision: int) -> Index:
        """An index of ``rows`` (every one public), slot = position, with their ``postings``."""
        ids = [r.id.bytes for r in rows]
        raw = np.frombuffer(b"".join(ids), dtype=">u8").reshape(-1, 2)
        if not ids:
            raw = np.zeros((0, 2), dtype=">u8")
        id_hi, id_lo = raw[:, 0].astype(np.uint64), raw[:, 1].astype(np.uint64)
        quality = np.array([r.quality for r in rows], dtype=np.float64)
        lat = np.array([math.nan if r.lat is None else r.lat for r in rows], dtype=np.float64)
        lng = np.array([math.nan if r.lng is None else r.lng for r in rows], dtype=np.float64)
        return cls(
            revision=revision,
            ids=ids,
            slot_of={i: slot for slot, i in enumerate(ids)},
            alive=np.ones(len(rows), dtype=np.bool_),
            id_hi=id_hi,
            id_lo=id_lo,
            quality=quality,
            rating=np.array([r.rating for r in rows], dtype=np.int64),
            reviews=np.array([r.reviews for r in rows], dtype=np.int64),
            rate=np.array([r.rate for r in rows], dtype=np.int64),
            experience=np.array([r.experience for r in rows], dtype=np.int64),
            online=np.array([r.online for r in rows], dtype=np.bool_),
            in_person=np.array([r.in_person for r in rows], dtype=np.bool_),
            lat=lat,
            lng=lng,
            city_keys=Codes.of([r.city_key for r in rows]),
            cities=Codes.of([r.city for r in rows]),
            specializations=Tags.of([r.specializations for r in rows]),
            languages=Tags.of([r.languages for r in rows]),
            postings={lexeme: _sorted(posting) for lexeme, posting in postings.items()},
            ordered=_ordered_prefix(-quality, id_hi, id_lo),
            cells=_cells(lat, lng),
            located=len(rows),
        )

    @property
    def dead(self) -> int:
        return int(len(self.alive) - np.count_nonzero(self.alive))

    def with_rows(self, rows: Sequence[Row], revision: int) -> Index:
        """This index after ``rows`` changed: their old slots die, the public ones get new
        slots at the end (with their postings)."""
        alive = self.alive.copy()
        for row in rows:
            old = self.slot_of.get(row.id.bytes)
            if old is not None:
                alive[old] = False
        shown = [r for r in rows if r.public]
        if not shown:
            return replace(self, alive=alive, revision=revision)
        base = len(self.ids)
        added = Index.of(shown, _postings_of(shown, base), revision)
        postings = dict(self.postings)
        for lexeme, more in added.postings.items():
            have = postings.get(lexeme)
            postings[lexeme] = more if have is None else _joined(have, more)
        return Index(
            revision=revision,
            ids=self.ids + added.ids,
            slot_of=self.slot_of | {i: base + slot for slot, i in enumerate(added.ids)},
            alive=np.concatenate([alive, added.alive]),
            id_hi=np.concatenate([self.id_hi, added.id_hi]),
            id_lo=np.concatenate([self.id_lo, added.id_lo]),
            quality=np.concatenate([self.quality, added.quality]),
            rating=np.concatenate([self.rating, added.rating]),
            reviews=np.concatenate([self.reviews, added.reviews]),
            rate=np.concatenate([self.rate, added.rate]),
            experience=np.concatenate([self.experience, added.experience]),
            online=np.concatenate([self.online, added.online]),
            in_person=np.concatenate([self.in_person, added.in_person]),
            lat=np.concatenate([self.lat, added.lat]),
            lng=np.concatenate([self.lng, added.lng]),
            city_keys=Codes.of([r.city_key for r in shown], self.city_keys),
            cities=Codes.of([r.city for r in shown], self.cities),
            specializations=Tags.of([r.specializations for r in shown], self.specializations),
            languages=Tags.of([r.languages for r in shown], self.languages),
            postings=postings,
            ordered=self.ordered,
            cells=self.cells,
            located=self.located,
        )


CELL_DEGREES = 0.25  # a power of two: lat / CELL_DEGREES is exact, so cells never disagree
_MAX_CELLS = 400  # a box touching more (a radius of hundreds of km) reads every match's place


def _cell(degrees: float) -> int:
    return math.floor(degrees / CELL_DEGREES)


_ROW = 4096  # a cell's key: row * _ROW + column (columns stay within ±720)


def _cell_keys(lat: npt.NDArray[np.float64], lng: npt.NDArray[np.float64]) -> Slots:
    """Each place's cell as one number."""
    rows = np.floor(lat / CELL_DEGREES).astype(np.int64)
    return rows * _ROW + np.floor(lng / CELL_DEGREES).astype(np.int64)


def _cells(lat: npt.NDArray[np.float64], lng: npt.NDArray[np.float64]) -> dict[int, Slots]:
    placed = np.flatnonzero(~np.isnan(lat) & ~np.isnan(lng))
    keys = _cell_keys(lat[placed], lng[placed])
    order = np.argsort(keys, kind="stable")
    keys, placed = keys[order], placed[order]
    if not len(keys):
        return {}
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    return {int(keys[start]): placed[start:end] for start, end in zip(starts, ends, strict=True)}


def _ordered_prefix(
    key: npt.NDArray[np.float64], high: npt.NDArray[np.uint64], low: npt.NDArray[np.uint64]
) -> int:
    """How many leading rows are in (key, id) order: all of them after a full load, which
    reads them in that order; the check makes ``ordered`` true whatever the caller passed."""
    a, b = slice(None, -1), slice(1, None)
    after = (key[a] < key[b]) | (
        (key[a] == key[b]) & ((high[a] < high[b]) | ((high[a] == high[b]) & (low[a] < low[b])))
    )
    broken = np.flatnonzero(~after)
    return int(broken[0]) + 1 if len(broken) else len(key)


def _joined(a: Posting, b: Posting) -> Posting:
    return Posting(np.concatenate([a.slots, b.slots]), np.concatenate([a.ranks, b.ranks]))


def _sorted(posting: Posting) -> Posting:
    """The posting in slot order (the load's aggregate gives no promise of order)."""
    if len(posting.slots) < 2 or bool(np.all(posting.slots[1:] > posting.slots[:-1])):
        return posting
    order = np.argsort(posting.slots, kind="stable")
    return Posting(posting.slots[order], posting.ranks[order])


def _postings_of(rows: Sequence[Row], base: int) -> dict[str, Posting]:
    """Posting lists of ``rows`` (each row's lexemes and weights), numbered from ``base``."""
    ranks = _TermRanks()
    slots: dict[str, list[int]] = {}
    values: dict[str, list[float]] = {}
    for offset, row in enumerate(rows):
        for lexeme, weights in zip(row.lexemes, row.weights, strict=True):
            slots.setdefault(lexeme, []).append(base + offset)
            values.setdefault(lexeme, []).append(ranks[weights])
    return {
        lexeme: Posting(np.asarray(found, dtype=np.int32), np.asarray(values[lexeme]))
        for lexeme, found in slots.items()
    }


def posting_of(slots: bytes, patterns: str, ranks: dict[str, float]) -> Posting:
    """A posting list as the full load reads it: slots as big-endian int4s, and each slot's
    weight pattern, comma-separated, in the same order (``ranks``: one load's ``term_ranks``)."""
    found = np.frombuffer(slots, dtype=">i4").astype(np.int32)
    return Posting(found, np.fromiter(map(ranks.__getitem__, patterns.split(",")), np.float64))


def term_ranks() -> dict[str, float]:
    """A shared ``term_rank`` memo for one load."""
    return _TermRanks()


@dataclass(frozen=True, slots=True)
class Selection:
    """A search's candidates as the index found them: what the SQL statement would have."""

    found: int  # matches, at most cap + 1
    page: list[str]  # ids as 32 hex digits: the driver takes them so, UUID objects cost more
    scores: list[float]
    facets_json: bytes


def _hits(index: Index, lexeme: str) -> npt.NDArray[np.int32]:
    posting = index.postings.get(lexeme)
    return posting.slots if posting is not None else np.zeros(0, dtype=np.int32)


def _mark(size: int, slots: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    mark = np.zeros(size, dtype=np.bool_)
    mark[slots] = True
    return mark


def _matches(index: Index, words: list[str], mode: MatchMode) -> Slots:
    """Live slots whose document has every word's lexeme (``all``) or any (``any``)."""
    size = len(index.ids)
    if mode == "browse":
        return np.flatnonzero(index.alive)
    lists = sorted((_hits(index, w) for w in dict.fromkeys(words)), key=len)
    if mode == "any":
        marked = np.zeros(size, dtype=np.bool_)
        for hits in lists:
            marked[hits] = True
        return np.flatnonzero(marked & index.alive)
    found = lists[0].astype(np.int64)
    for hits in lists[1:]:
        found = found[_mark(size, hits)[found]]
    return found[index.alive[found]]


def _cents(value: Decimal) -> int:
    """A rate as the statement compares it (cast to numeric(12,2): half away from zero)."""
    return int(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)


@dataclass(frozen=True, slots=True)
class _Sieve:
    """A search's directory filters, worked out once for the index (a relevance search applies
    them chunk by chunk)."""

    filters: DirectoryFilters
    min_rate: int | None
    max_rate: int | None
    min_rating: int | None
    city: int | None
    box: Clause | None  # the radius's bounding box
    near: npt.NDArray[np.bool_] | None  # per slot: in a grid cell the box touches, or unplaced

    @classmethod
    def of(cls, index: Index, filters: DirectoryFilters) -> _Sieve:
        def cents(value: Decimal | float | None) -> int | None:
            return None if value is None else _cents(Decimal(str(value)))

        city = None
        if filters.city:
            city = index.city_keys.codes.get(filters.city.strip().lower(), -2)
        box = _box(filters) if filters.radius_km is not None else None
        return cls(
            filters=filters,
            min_rate=cents(filters.min_rate),
            max_rate=cents(filters.max_rate),
            min_rating=cents(filters.min_rating),
            city=city,
            box=box,
            near=_near(index, box) if box is not None else None,
        )


def _near(index: Index, box: Clause) -> npt.NDArray[np.bool_] | None:
    """The slots that may be in ``box``: those of the grid cells it touches, and every slot a
    change appended; None when the box wraps, reaches a pole or touches too many cells."""
    if box.key != "box":
        return None
    v = box.values
    lat_cells = range(_cell(v["box_lat_low"]), _cell(v["box_lat_high"]) + 1)
    lng_cells = range(_cell(v["box_lng_low"]), _cell(v["box_lng_high"]) + 1)
    if len(lat_cells) * len(lng_cells) > _MAX_CELLS:
        return None
    near = np.zeros(len(index.ids), dtype=np.bool_)
    for row in lat_cells:
        for column in lng_cells:
            found = index.cells.get(row * _ROW + column)
            if found is not None:
                near[found] = True
    near[index.located :] = True
    return near


def _filtered(index: Index, slots: Slots, sieve: _Sieve) -> Slots:
    """``slots`` kept by the directory's filters, exactly as ``directory_clauses`` put them."""
    filters = sieve.filters
    if filters.specialization:
        slots = index.specializations.having(slots, filters.specialization.strip().lower())
    if filters.language:
        slots = index.languages.having(slots, filters.language.strip().title())
    if sieve.min_rate is not None:
        slots = slots[index.rate[slots] >= sieve.min_rate]
    if sieve.max_rate is not None:
        slots = slots[index.rate[slots] <= sieve.max_rate]
    if sieve.min_rating is not None:
        slots = slots[index.rating[slots] >= sieve.min_rating]
    if sieve.city is not None:
        slots = slots[index.city_keys.of_slot[slots] == sieve.city]
    if filters.online is not None:
        slots = slots[index.online[slots] == filters.online]
    if filters.in_person is not None:
        slots = slots[index.in_person[slots] == filters.in_person]
    if sieve.box is not None and filters.radius_km is not None:
        slots = slots[_inside(index, slots, sieve.box)]
        slots = slots[_distances(index, slots, filters) <= filters.radius_km]
    return slots


def _box(filters: DirectoryFilters) -> Clause:
    """The radius's bounding box, as the statement's clause bounds it."""
    clauses, _ = directory_clauses(filters)
    return next(c for c in clauses if c.key.startswith("box"))


def _inside(index: Index, slots: Slots, box: Clause) -> npt.NDArray[np.bool_]:
    lat, lng = index.lat[slots], index.lng[slots]
    keep = (lat >= box.values["box_lat_low"]) & (lat <= box.values["box_lat_high"])
    if box.key == "box":
        keep &= (lng >= box.values["box_lng_low"]) & (lng <= box.values["box_lng_high"])
    elif box.key == "box_wrap":
        keep &= (lng >= box.values["box_lng_low"]) | (lng <= box.values["box_lng_high"])
    return keep  # type: ignore[no-any-return]


def _distances(index: Index, slots: Slots, filters: DirectoryFilters) -> npt.NDArray[np.float64]:
    """Haversine, as ``practitioners.service._haversine_km`` writes it in SQL (NaN: unknown)."""
    assert filters.lat is not None
    assert filters.lng is not None
    lat, lng = index.lat[slots], index.lng[slots]
    dlat = np.radians(lat - filters.lat) / 2
    dlng = np.radians(lng - filters.lng) / 2
    cos_lat = math.cos(math.radians(filters.lat))
    a = np.power(np.sin(dlat), 2) + cos_lat * np.cos(np.radians(lat)) * np.power(np.sin(dlng), 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def _in_id_order(index: Index, slots: Slots, key: npt.NDArray[Any]) -> npt.NDArray[np.intp]:
    """The order of ``slots`` by ``key`` (ascending), then by id: the statement's ORDER BY
    ..., id. The id's first eight bytes decide unless two of them tie, which among random
    uuids practically never happens; a sort on all three keys is several times slower."""
    high = index.id_hi[slots]
    order = np.lexsort((high, key))
    ordered_key, ordered_high = key[order], high[order]
    if np.any((ordered_key[1:] == ordered_key[:-1]) & (ordered_high[1:] == ordered_high[:-1])):
        order = np.lexsort((index.id_lo[slots], high, key))
    return order


def _first(index: Index, slots: Slots, key: npt.NDArray[Any], count: int) -> Slots:
    """The first ``count`` of ``slots`` ordered by ``key``, then by id."""
    if len(slots) > count:
        # Only rows whose key is within the best ``count`` can be among them.
        bound = np.partition(key, count - 1)[count - 1]
        near = key <= bound
        slots, key = slots[near], key[near]
    return slots[_in_id_order(index, slots, key)[:count]]


def _first_by_quality(index: Index, matches: Slots, sieve: _Sieve, count: int) -> Slots:
    """``_first`` by stored quality of the ``matches`` (ascending slots) that ``sieve`` keeps,
    without filtering or sorting them all: slots below ``index.ordered`` are already in that
    order, so their first ``count`` kept are found chunk by chunk; only the few slots that
    changes appended (after ``ordered``) are sorted in with them."""
    split = int(np.searchsorted(matches, index.ordered))
    head, tail = matches[:split], _filtered(index, matches[split:], sieve)
    found: list[Slots] = []
    need, start, size = count, 0, 2 * count
    while need > 0 and start < len(head):
        kept = _filtered(index, head[start : start + size], sieve)[:need]
        found.append(kept)
        need -= len(kept)
        start, size = start + size, size * 4
    first = np.concatenate([*found, tail]) if found or len(tail) else head[:0]
    if not len(tail):
        return first
    return _first(index, first, _sort_key(index, first, SearchSort.RELEVANCE, sieve.filters), count)


def _sort_key(
    index: Index, slots: Slots, sort: SearchSort, filters: DirectoryFilters
) -> npt.NDArray[Any]:
    """One ascending key per slot for the page's order (before the id)."""
    if sort is SearchSort.DISTANCE:
        distance = _distances(index, slots, filters)
        return np.where(np.isnan(distance), np.inf, distance)  # unknown places last
    if sort is SearchSort.PRICE:
        return index.rate[slots]
    if sort is SearchSort.EXPERIENCE:
        return -index.experience[slots]
    if sort is SearchSort.RATING:
        # rating, then number of reviews, both descending, as one number
        return -((index.rating[slots] << _REVIEW_BITS) + index.reviews[slots])
    return -index.quality[slots]


# Review counts stay far below 2**40; ratings are at most 500 hundredths (9 bits).
_REVIEW_BITS = 40


def _scores(
    index: Index, slots: Slots, lexemes: list[str], mode: MatchMode
) -> npt.NDArray[np.float64]:
    """The ranking formula (ranking.py) for ``slots``, with ``ts_rank`` over the query's
    lexemes as PostgreSQL computes it (float4: see ``term_rank``)."""
    quality = index.quality[slots]
    if mode == "browse":
        return quality
    unique = sorted(set(lexemes), key=lambda lexeme: lexeme.encode())  # tsrank.c's item order
    rank = np.zeros(len(slots), dtype=np.float32)
    present: dict[str, npt.NDArray[np.bool_]] = {}
    for lexeme in unique:
        share = np.zeros(len(slots), dtype=np.float64)
        posting = index.postings.get(lexeme)
        if posting is not None and len(posting.slots):
            at = np.minimum(np.searchsorted(posting.slots, slots), len(posting.slots) - 1)
            found = posting.slots[at] == slots
            share[found] = posting.ranks[at[found]]
        present[lexeme] = share > 0
        rank = (rank.astype(np.float64) + share).astype(np.float32)
    rank = (rank / np.float32(len(unique))).astype(np.float32)
    rank = (rank / (rank + np.float32(1))).astype(np.float32)
    if mode == "all":
        coverage: Any = 1.0
    else:
        hits = [present[w].astype(np.float64) for w in lexemes]
        coverage = sum(hits[1:], hits[0]) * (1.0 / len(hits))
    text = ranking.RELEVANCE_COVERAGE * coverage + ranking.RELEVANCE_RANK * rank.astype(np.float64)
    return text * (ranking.QUALITY_BASE + ranking.QUALITY_SHARE * quality)  # type: ignore[no-any-return]


def _facets(index: Index, slots: Slots) -> bytes:
    """``facets.facet_column`` over the kept candidates, counted here, as the API's JSON."""
    listed: list[tuple[str, str, int]] = []
    for kind, counted in (
        ("s", index.specializations.counts(slots)),
        ("l", index.languages.counts(slots)),
        ("c", index.cities.counts(slots)),
    ):
        listed += [(kind, value, n) for value, n in sorted(counted, key=lambda c: (-c[1], c[0]))]
    bands = np.searchsorted(_BAND_EDGES, index.rate[slots], side="right")
    listed += [("p", str(band), int(n)) for band, n in enumerate(np.bincount(bands)) if n]
    listed += [("o", "online", int(np.count_nonzero(index.online[slots])))]
    listed += [("i", "in_person", int(np.count_nonzero(index.in_person[slots])))]
    return facets_json(listed)


# Where each price band starts, in cents (facets.PRICE_BANDS: the lower bound is included).
_BAND_EDGES = np.array([_cents(high) for _, high in PRICE_BANDS if high is not None])


def select(
    index: Index,
    words: list[str],
    mode: MatchMode,
    filters: DirectoryFilters,
    sort: SearchSort,
    offset: int,
    limit: int,
    cap: int,
) -> Selection:
    """A search's candidates, count, page and facets, as ``service.search_statement`` finds
    them: the first ``cap + 1`` matches in the page's order (by stored quality for relevance),
    the first ``cap`` kept, ranked, faceted and paged. ``words`` are lexemes, one per word."""
    matches, sieve = _matches(index, words, mode), _Sieve.of(index, filters)
    if sieve.near is not None:
        matches = matches[sieve.near[matches]]
    if sort is SearchSort.RELEVANCE:
        candidates = _first_by_quality(index, matches, sieve, cap + 1)
    else:
        slots = _filtered(index, matches, sieve)
        candidates = _first(index, slots, _sort_key(index, slots, sort, filters), cap + 1)
    kept = candidates[:cap]
    if sort is SearchSort.RELEVANCE:
        scores = _scores(index, kept, words, mode)
        page = _in_id_order(index, kept, -scores)[offset : offset + limit]
        shown, shown_scores = kept[page], scores[page]
    else:
        shown = kept[offset : offset + limit]
        shown_scores = _scores(index, shown, words, mode)
    return Selection(
        found=len(candidates),
        page=[index.ids[slot].hex() for slot in shown.tolist()],
        scores=shown_scores.tolist(),
        facets_json=_facets(index, kept),
    )
