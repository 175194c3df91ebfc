"""Avatar images: accepted by content (never by name), re-encoded from pixels, thumbnailed.

Everything here is pure: bytes in, bytes out, so it can run in a worker thread and be tested
without storage. The defences, in the order they apply:

- a byte limit before Pillow sees anything;
- Pillow may only try the four formats we accept, so the parsers of exotic formats (EPS, which
  shells out to Ghostscript; TGA; ICO; …) never run on uploaded bytes;
- the pixel count is read from the header and checked before any pixel is decoded (a 20000x20000
  PNG can be a few kilobytes and still need gigabytes once decoded);
- the output is encoded from a brand-new image holding only pixels: EXIF (GPS, camera serials),
  XMP, ICC profiles, text chunks and anything smuggled in them (a PHP payload in a comment) do not
  survive.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
MAX_SIDE = 512
THUMBNAIL_SIDE = 128
JPEG_QUALITY = 85
_FORMATS = tuple(sorted(ALLOWED_FORMATS))  # Image.open wants a list or tuple
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ProcessedAvatar:
    image: ProcessedImage  # at most MAX_SIDE x MAX_SIDE, aspect ratio kept
    thumbnail: ProcessedImage  # THUMBNAIL_SIDE x THUMBNAIL_SIDE, centre-cropped


class AvatarError(ValueError):
    """Why the upload is refused, phrased for the user (it goes into a 422 field error)."""


def process_avatar(
    data: bytes, *, max_bytes: int = 5 * 1024 * 1024, max_pixels: int = 40_000_000
) -> ProcessedAvatar:
    """Check an uploaded avatar by its content and return clean, resized copies of it.

    Raises ``AvatarError`` with a user-facing reason when the bytes are not an image we accept.
    Animated images keep their first frame. Transparent images become PNG, all others JPEG.

    ``max_pixels`` is enforced here, per call, from the image header. Pillow's own
    ``MAX_IMAGE_PIXELS`` stays a process-wide backstop; we neither change it nor the warnings
    filters, since both are global state shared by every thread.
    """
    if not data:
        raise AvatarError("The file is empty.")
    if len(data) > max_bytes:
        raise AvatarError(f"The file is larger than {_size(max_bytes)}.")
    image = _decode(data, max_pixels)
    ImageOps.exif_transpose(image, in_place=True)
    pixels = _flatten(image)
    return ProcessedAvatar(
        image=_encode(_fit_within(pixels, MAX_SIDE)),
        thumbnail=_encode(
            ImageOps.fit(pixels, (THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
        ),
    )


def _decode(data: bytes, max_pixels: int) -> Image.Image:
    """Open, size-check, verify and decode the first frame, mapping Pillow's errors to reasons."""
    try:
        # Image.open reads the header only; no pixel is decoded before the size check.
        probe = Image.open(io.BytesIO(data), formats=_FORMATS)
        _check_pixels(probe.size, max_pixels)
        probe.verify()  # walks the structure (PNG chunk CRCs, …); the image is unusable after
        image = Image.open(io.BytesIO(data), formats=_FORMATS)
        image.load()  # the first frame of an animation; a truncated file fails here
    except AvatarError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's global limit, set above ours: a header claiming an absurd size.
        raise AvatarError(_too_many_pixels(max_pixels)) from None
    except UnidentifiedImageError:
        raise AvatarError("The file is not a JPEG, PNG, WebP or GIF image.") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise AvatarError("The image is damaged or incomplete.") from None
    return image


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise AvatarError("The image has no pixels.")
    if width * height > max_pixels:
        raise AvatarError(_too_many_pixels(max_pixels))


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when some pixel is actually see-through (an opaque alpha channel is dropped)."""
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        lowest_alpha = rgba.getchannel("A").getextrema()[0]
        return rgba.convert("RGB") if lowest_alpha == 255 else rgba
    return image if image.mode == "RGB" else image.convert("RGB")


def _fit_within(image: Image.Image, side: int) -> Image.Image:
    """Scale down (never up) so that both sides fit in ``side``, keeping the aspect ratio."""
    width, height = image.size
    scale = min(1.0, side / width, side / height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS)


def _encode(image: Image.Image) -> ProcessedImage:
    # A fresh image carries pixels only: no info dict, no EXIF, no ICC profile, no text chunks.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    buffer = io.BytesIO()
    if clean.mode == "RGBA":
        clean.save(buffer, "PNG", optimize=True)
        content_type = "image/png"
    else:
        clean.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
        content_type = "image/jpeg"
    return ProcessedImage(buffer.getvalue(), content_type, clean.width, clean.height)


def _too_many_pixels(max_pixels: int) -> str:
    limit = f"{max_pixels / 1e6:.3g} megapixels" if max_pixels >= 1e6 else f"{max_pixels:,} pixels"
    return f"The image is too large: at most {limit} are accepted."


def _size(count: int) -> str:
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} bytes"
