"""Credential documents: accepted by content (PDF or image), stored privately."""

from __future__ import annotations

import io
import re
import unicodedata

from PIL import Image, UnidentifiedImageError

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
_IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class DocumentError(ValueError):
    """Why an upload is refused, phrased for the person uploading it."""


def sniff(data: bytes) -> tuple[str, str]:
    """Return (content type, file extension) from the bytes themselves, or refuse."""
    if not data:
        raise DocumentError("The file is empty.")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentError("The file is larger than 10 MiB.")
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise DocumentError("The PDF is incomplete.")
        return "application/pdf", "pdf"
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise DocumentError("Upload a PDF, JPEG, PNG or WebP file.") from None
    if kind not in _IMAGE_TYPES:
        raise DocumentError("Upload a PDF, JPEG, PNG or WebP file.")
    return _IMAGE_TYPES[kind], kind.lower().replace("jpeg", "jpg")


def clean_title(filename: str | None, fallback: str = "Credential") -> str:
    """A display title from the client's file name: no path, no control characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if ch.isprintable())
    name = re.sub(r"\s+", " ", name).strip()[:120]
    return name or fallback
