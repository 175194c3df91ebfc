"""Avatar images: accepted by content (never by name), re-encoded from pixels, thumbnailed.

Re-encoding from pixel data is what strips EXIF, GPS and every other metadata block; the size and
pixel limits keep decompression bombs out.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
MAX_SIDE = 512
THUMBNAIL_SIDE = 128


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ProcessedAvatar:
    image: ProcessedImage
    thumbnail: ProcessedImage


class AvatarError(ValueError):
    """Why the upload is refused, phrased for the user."""


def _encode(image: Image.Image) -> ProcessedImage:
    buffer = io.BytesIO()
    if image.mode in ("RGBA", "LA"):
        image.save(buffer, "PNG", optimize=True)
        media = "image/png"
    else:
        image.convert("RGB").save(buffer, "JPEG", quality=85, optimize=True)
        media = "image/jpeg"
    return ProcessedImage(buffer.getvalue(), media, image.width, image.height)


def process_avatar(
    data: bytes, *, max_bytes: int = 5 * 1024 * 1024, max_pixels: int = 40_000_000
) -> ProcessedAvatar:
    if not data:
        raise AvatarError("The file is empty.")
    if len(data) > max_bytes:
        raise AvatarError(f"The image is larger than {max_bytes // (1024 * 1024)} MiB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ALLOWED_FORMATS:
                raise AvatarError("Use a JPEG, PNG, WebP or GIF image.")
            if probe.width * probe.height > max_pixels:
                raise AvatarError("The image has too many pixels.")
            probe.verify()  # structure check; the image must be reopened afterwards
            image = Image.open(io.BytesIO(data))
            image.seek(0)  # animated images: the first frame
            image.load()
    except AvatarError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AvatarError("The file is not an image we can read.") from None
    except (OSError, SyntaxError, ValueError):
        raise AvatarError("The image is damaged or incomplete.") from None
    upright: Image.Image = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    pixels = upright.convert("RGBA" if has_alpha else "RGB")
    clean = Image.new(pixels.mode, pixels.size)
    clean.paste(pixels)  # a fresh image: no info, no EXIF, no ICC
    main = clean.copy()
    main.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    thumb = ImageOps.fit(clean, (THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return ProcessedAvatar(image=_encode(main), thumbnail=_encode(thumb))
