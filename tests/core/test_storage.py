"""Local file storage: atomic writes under one root, and no key that leaves it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from klearkarma.core.storage import LocalStorage, StorageError, StoredFile, check_key


def tree(root: Path) -> list[str]:
    """Every file and directory under ``root``, as sorted relative paths."""
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*"))


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """A parent directory whose only child is the storage root, to see any escape."""
    (tmp_path / "root").mkdir()
    return tmp_path


async def test_save_read_exists_delete_round_trip(tmp_path: Path) -> None:
    # given
    storage = LocalStorage(tmp_path)
    data = bytes(range(256)) * 4

    # when
    stored = await storage.save("avatars/u1.png", data, "image/png")

    # then
    assert stored == StoredFile(key="avatars/u1.png", size=1024, content_type="image/png")
    assert await storage.exists("avatars/u1.png") is True
    assert await storage.read("avatars/u1.png") == data
    assert (tmp_path / "avatars" / "u1.png").read_bytes() == data

    await storage.delete("avatars/u1.png")

    assert await storage.exists("avatars/u1.png") is False
    assert not (tmp_path / "avatars" / "u1.png").exists()
    with pytest.raises(FileNotFoundError):
        await storage.read("avatars/u1.png")


async def test_saving_again_replaces_the_content(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    await storage.save("docs/cert.pdf", b"first version", "application/pdf")

    stored = await storage.save("docs/cert.pdf", b"second", "application/pdf")

    assert stored.size == 6
    assert await storage.read("docs/cert.pdf") == b"second"
    assert tree(tmp_path) == ["docs", "docs/cert.pdf"]


async def test_empty_file_is_stored(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)

    stored = await storage.save("empty.txt", b"", "text/plain")

    assert stored.size == 0
    assert await storage.exists("empty.txt") is True
    assert await storage.read("empty.txt") == b""


async def test_nested_keys_create_their_directories(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "not-yet-there")

    await storage.save("a/b/c/d.bin", b"deep", "application/octet-stream")

    assert (tmp_path / "not-yet-there" / "a" / "b" / "c" / "d.bin").read_bytes() == b"deep"
    assert tree(tmp_path / "not-yet-there") == ["a", "a/b", "a/b/c", "a/b/c/d.bin"]


async def test_no_partial_file_remains_after_save(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)

    await storage.save("x/report.csv", b"a,b\n1,2\n", "text/csv")
    await storage.save("x/report.csv", b"a,b\n3,4\n", "text/csv")

    assert tree(tmp_path) == ["x", "x/report.csv"]
    assert [path for path in tree(tmp_path) if path.endswith(".partial")] == []


async def test_missing_key_reads_as_file_not_found(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)

    with pytest.raises(FileNotFoundError):
        await storage.read("nothing/here.txt")

    assert await storage.exists("nothing/here.txt") is False
    assert tree(tmp_path) == []


async def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    await storage.save("dir/file.txt", b"x", "text/plain")

    assert await storage.exists("dir") is False
    with pytest.raises(FileNotFoundError):
        await storage.read("dir")
    await storage.delete("dir")
    assert (tmp_path / "dir" / "file.txt").read_bytes() == b"x"


async def test_deleting_a_missing_key_is_a_no_op(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    await storage.save("keep.txt", b"k", "text/plain")

    await storage.delete("gone.txt")

    assert tree(tmp_path) == ["keep.txt"]


BAD_KEYS = [
    "../escape.txt",
    "a/../../escape.txt",
    "a/../b.txt",
    "..",
    ".",
    "a/./b.txt",
    "/etc/passwd",
    "/abs.txt",
    "",
    "a//b.txt",
    "a/",
    "a/b/",
    "a\\b.txt",
    "..\\escape.txt",
    ".hidden",
    ".env",
    "-rf",
    "_under",
    "a/b c.txt",
    "ü.txt",
    "a\x00b",
    "a\nb",
    "a" * 513,
]


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_unsafe_keys_are_refused_everywhere(sandbox: Path, key: str) -> None:
    storage = LocalStorage(sandbox / "root")

    with pytest.raises(StorageError, match="invalid storage key"):
        await storage.save(key, b"payload", "text/plain")
    with pytest.raises(StorageError):
        await storage.read(key)
    with pytest.raises(StorageError):
        await storage.exists(key)
    with pytest.raises(StorageError):
        await storage.delete(key)

    assert tree(sandbox) == ["root"]  # nothing written, inside the root or next to it


def test_longest_allowed_key_is_512_characters() -> None:
    longest = "a" * 255 + "/" + "b" * 254 + "/c"
    assert len(longest) == 512
    assert check_key(longest) == longest
    with pytest.raises(StorageError):
        check_key(longest + "d")
    with pytest.raises(StorageError):
        check_key("a" * 256)  # one path segment is one file name: 255 at most


@pytest.mark.parametrize("key", ["a.txt", "A/b-c_d.e/f.tar.gz", "2026/11/24/u1..v2.bin"])
def test_safe_keys_pass_unchanged(key: str) -> None:
    assert check_key(key) == key


async def test_symlink_out_of_the_root_is_refused(sandbox: Path) -> None:
    # given: a link inside the root that points next to it
    outside = sandbox / "outside"
    outside.mkdir()
    (sandbox / "root" / "link").symlink_to(outside, target_is_directory=True)
    storage = LocalStorage(sandbox / "root")

    with pytest.raises(StorageError):
        await storage.save("link/stolen.txt", b"payload", "text/plain")
    with pytest.raises(StorageError):
        await storage.read("link/stolen.txt")

    assert os.listdir(outside) == []


async def test_a_root_given_through_a_symlink_still_works(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    storage = LocalStorage(tmp_path / "alias")

    await storage.save("k/v.txt", b"v", "text/plain")

    assert (tmp_path / "real" / "k" / "v.txt").read_bytes() == b"v"
    assert await storage.read("k/v.txt") == b"v"


@pytest.mark.parametrize("key", ["a/.hidden", "a/.x.partial"])
def test_dot_segments_after_the_first_are_refused(key: str) -> None:
    try:
        check_key(key)
    except StorageError:
        return
    raise AssertionError(f"{key!r} was accepted")


@pytest.mark.parametrize("key", ["a\n", "avatars/u1.png\n"])
def test_trailing_newline_is_refused(key: str) -> None:
    try:
        check_key(key)
    except StorageError:
        return
    raise AssertionError(f"{key!r} was accepted")
