"""File storage behind a small interface: a local directory now, S3-compatible later.

Keys are relative, slash-separated paths chosen by the platform (never by a client's file name), and
the local backend refuses any key that would leave its root.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import anyio

# Every segment starts with a letter or digit: no "..", no hidden or temp-file names.
_SAFE_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")  # 255: a file name's limit
MAX_KEY_LENGTH = 512


class StorageError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class StoredFile:
    key: str
    size: int
    content_type: str


class Storage(Protocol):
    async def save(self, key: str, data: bytes, content_type: str) -> StoredFile: ...

    async def read(self, key: str) -> bytes: ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None: ...


def check_key(key: str) -> str:
    parts = key.split("/")
    if len(key) > MAX_KEY_LENGTH or not all(_SAFE_SEGMENT.fullmatch(part) for part in parts):
        raise StorageError(f"invalid storage key: {key!r}")
    return key


class LocalStorage:
    """Files under one directory, written atomically (temp file, then rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise StorageError(f"invalid storage key: {key!r}")
        return path

    async def save(self, key: str, data: bytes, content_type: str) -> StoredFile:
        path = anyio.Path(self._path(key))
        await path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        await partial.write_bytes(data)
        await partial.rename(path)
        return StoredFile(key=key, size=len(data), content_type=content_type)

    async def read(self, key: str) -> bytes:
        path = anyio.Path(self._path(key))
        if not await path.is_file():
            raise FileNotFoundError(key)
        return await path.read_bytes()

    async def exists(self, key: str) -> bool:
        return await anyio.Path(self._path(key)).is_file()

    async def delete(self, key: str) -> None:
        path = anyio.Path(self._path(key))
        if await path.is_file():
            await path.unlink()
