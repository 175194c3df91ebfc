"""UUIDv7 ids sort in creation order."""

from __future__ import annotations

from klearkarma.core.ids import uuid7


def test_ids_are_version_7_and_strictly_increasing() -> None:
    ids = [uuid7() for _ in range(10_000)]  # many share a millisecond

    assert all(i.version == 7 for i in ids)
    assert all(i.variant == "specified in RFC 4122" for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
