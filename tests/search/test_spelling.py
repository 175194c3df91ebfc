"""The edit distance and candidate choice behind typo tolerance."""

from __future__ import annotations

import pytest

from klearkarma.search.query import parse
from klearkarma.search.spelling import best_match, distance, max_edits


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("accupuncture", "acupuncture", 1),  # an extra letter
        ("rieki", "reiki", 1),  # a transposition counts once
        ("meditaton", "meditation", 1),
        ("ayurvedha", "ayurveda", 1),
        ("naturpathy", "naturopathy", 1),
        ("massage", "massage", 0),
        ("bangalroe", "bangalore", 1),
    ],
)
def test_distance(a: str, b: str, expected: int) -> None:
    assert distance(a, b, 2) == expected


def test_distance_gives_up_past_the_limit() -> None:
    assert distance("reiki", "acupuncture", 2) == 3


def test_short_words_are_never_corrected() -> None:
    assert max_edits("yoga") == 0
    assert best_match("toga", [("yoga", 100)]) is None


def test_the_closest_then_the_most_frequent_candidate_wins() -> None:
    candidates = [("massage", 5), ("message", 50), ("passage", 500)]
    assert best_match("masage", candidates) == "massage"  # distance 1 beats 2
    assert best_match("xassage", candidates) == "passage"  # equal distance: more frequent


def test_parse_keeps_plain_words_only() -> None:
    assert parse("Reiki & (yoga | !meditation):* 'x'").words == (
        "reiki",
        "yoga",
        "meditation",
        "x",
    )
    assert parse("yoga yoga YOGA").words == ("yoga",)
    assert len(parse(" ".join(f"w{i}" for i in range(50))).words) == 8
