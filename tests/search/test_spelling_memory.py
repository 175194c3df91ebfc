"""The in-memory spelling vocabulary: ``Vocabulary`` candidates and remembered corrections, and
``Spelling.analyse`` against ``search_terms`` on the real database.

Covered: candidates found for a typo later in the word, an extra first letter and a missing
first letter, words of a length out of reach left out; a correction (or the lack of one) is
remembered and not worked out again; ``analyse`` drops PostgreSQL's English stop words,
corrects unknown words, keeps known ones, reads the vocabulary once per version (a new term is
invisible under the same version and seen under a new one).
"""

from __future__ import annotations

import uuid

from sqlalchemy import text

from klearkarma.core.db import Database
from klearkarma.search.query import parse
from klearkarma.search.spelling import Spelling, Vocabulary

ROWS = [
    ("massage", 40),
    ("meditation", 30),
    ("acupuncture", 20),
    ("massagetherapist", 5),  # starts like "massage", far too long to be one of its typos
    ("ma", 2),  # far too short
    ("reiki", 9),
]


def vocabulary() -> Vocabulary:
    return Vocabulary.of(ROWS, b"v1")


def terms_of(candidates: list[tuple[str, int]]) -> set[str]:
    return {term for term, _ in candidates}


def test_candidates_for_a_typo_later_in_the_word() -> None:
    candidates = vocabulary().candidates("meditatoin")
    assert ("meditation", 30) in candidates
    assert vocabulary().correction("meditatoin") == "meditation"


def test_candidates_for_an_extra_first_letter() -> None:
    # "massage" starts with the second letter of "xmassage" (and has no "x" second).
    assert ("massage", 40) in vocabulary().candidates("xmassage")
    assert vocabulary().correction("xmassage") == "massage"


def test_candidates_for_a_missing_first_letter() -> None:
    # "massage" has the first letter of "assage" second.
    assert ("massage", 40) in vocabulary().candidates("assage")
    assert vocabulary().correction("assage") == "massage"


def test_candidates_leave_out_lengths_out_of_reach() -> None:
    # "masage": 6 letters, one edit allowed, so 5 to 7 letters.
    assert terms_of(vocabulary().candidates("masage")) == {"massage"}
    # "meditatoin": 10 letters, two edits allowed, so 8 to 12 letters.
    assert terms_of(vocabulary().candidates("meditatoin")) == {"meditation"}


def test_candidates_need_a_shared_first_or_second_letter() -> None:
    assert vocabulary().candidates("zzzzzzz") == []
    assert vocabulary().correction("zzzzzzz") is None


def test_short_words_are_not_corrected() -> None:
    assert vocabulary().correction("reikk") == "reiki"  # five letters: one edit
    assert Vocabulary.of([("yoga", 50)], None).correction("toga") is None


def test_a_correction_is_remembered() -> None:
    words = vocabulary()
    assert words.correction("acupunture") == "acupuncture"
    assert words.corrections == {"acupunture": "acupuncture"}
    # Answered from memory, not worked out again: a remembered answer is what comes back.
    words.corrections["acupunture"] = "remembered"
    assert words.correction("acupunture") == "remembered"


def test_no_correction_is_remembered_too() -> None:
    words = vocabulary()
    assert words.correction("qwertyuiop") is None
    assert words.corrections == {"qwertyuiop": None}
    words.corrections["qwertyuiop"] = "remembered"
    assert words.correction("qwertyuiop") == "remembered"


def invented() -> str:
    """A word no document has, letters only (a correction candidate must be alphabetic)."""
    return "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:6])


async def add_term(db: Database, term: str, frequency: int) -> None:
    async with db.transaction() as session:
        await session.execute(
            text("INSERT INTO search_terms (term, frequency) VALUES (:term, :frequency)"),
            {"term": term, "frequency": frequency},
        )


async def test_analyse_drops_stop_words_corrects_unknown_and_keeps_known(db: Database) -> None:
    stem = invented()
    known, healing = f"kq{stem}known", f"kq{stem}healing"
    await add_term(db, known, 3)
    await add_term(db, healing, 12)
    typo = healing.replace("healing", "healnig")

    spelling = Spelling()
    terms, corrections = await spelling.analyse(db, b"v1", parse(f"the {typo} {known}"))

    assert corrections == {typo: healing}
    assert terms.words == (healing, known)
    assert spelling.lexemes["the"] == ()  # PostgreSQL's 'english' stop word
    assert spelling.lexemes[known] == (known,)
    # the correction's stem, learnt too (what PostgreSQL makes of it: random letters before
    # "healing" can change where the stemmer cuts, so the test asks rather than assumes)
    async with db.reading() as connection:
        stemmed = await connection.fetchval(
            "SELECT tsvector_to_array(to_tsvector('english', $1))", healing
        )
    assert spelling.lexemes[healing] == tuple(stemmed)
    assert stemmed[0].startswith(f"kq{stem}")


async def test_analyse_reads_the_vocabulary_once_per_version(db: Database) -> None:
    stem = invented()
    await add_term(db, f"kq{stem}first", 1)
    spelling = Spelling()
    await spelling.analyse(db, b"v1", parse(f"kq{stem}first"))
    snapshot = spelling.vocabulary
    assert snapshot is not None

    late = f"kq{stem}latecomer"
    await add_term(db, late, 4)
    typo = late.replace("latecomer", "latecmoer")

    terms, corrections = await spelling.analyse(db, b"v1", parse(typo))
    assert corrections == {}
    assert terms.words == (typo,)
    assert spelling.vocabulary is snapshot
    assert late not in snapshot.frequency

    terms, corrections = await spelling.analyse(db, b"v2", parse(typo))
    assert corrections == {typo: late}
    assert terms.words == (late,)
    assert spelling.vocabulary is not snapshot
    assert spelling.vocabulary is not None
    assert spelling.vocabulary.version == b"v2"
