"""Avatar processing: content sniffing, metadata stripping, sizes, refusals."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from klearkarma.identity.avatars import AvatarError, process_avatar


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def test_exif_and_gps_are_stripped_and_orientation_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when displayed
    exif[0x010F] = "SpyCam Inc"
    exif.get_ifd(0x8825)[2] = (12.0, 58.0, 17.0)  # GPS latitude
    source = encoded(Image.new("RGB", (1000, 600), (10, 200, 30)), "JPEG", exif=exif.tobytes())

    result = process_avatar(source)

    out = Image.open(io.BytesIO(result.image.data))
    assert (result.image.content_type, out.format) == ("image/jpeg", "JPEG")
    assert out.size == (307, 512)  # turned upright, then fitted into 512 x 512
    assert not out.getexif()
    assert "exif" not in out.info
    assert b"SpyCam" not in result.image.data
    thumb = Image.open(io.BytesIO(result.thumbnail.data))
    assert thumb.size == (128, 128)
    assert not thumb.getexif()


def test_transparency_is_kept_as_png() -> None:
    source = encoded(Image.new("RGBA", (300, 200), (255, 0, 0, 128)), "PNG")

    result = process_avatar(source)

    out = Image.open(io.BytesIO(result.image.data))
    assert result.image.content_type == "image/png"
    assert out.mode == "RGBA"
    assert out.getpixel((10, 10))[3] == 128
    assert (result.image.width, result.image.height) == (300, 200)


def test_animated_gif_uses_its_first_frame() -> None:
    frames = [Image.new("P", (64, 64), colour) for colour in (1, 2, 3)]
    source = io.BytesIO()
    frames[0].save(source, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)

    result = process_avatar(source.getvalue())

    assert result.image.content_type == "image/jpeg"
    assert (result.image.width, result.image.height) == (64, 64)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"<html><script>alert(1)</script></html>", "not an image"),
        (b"%PDF-1.7\n%%EOF", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "image"),
        (encoded(Image.new("RGB", (10, 10)), "BMP"), "JPEG, PNG, WebP or GIF"),
        (b"x" * (5 * 1024 * 1024 + 1), "larger than"),
    ],
)
def test_refusals_explain_themselves(data: bytes, message: str) -> None:
    with pytest.raises(AvatarError, match=message):
        process_avatar(data)


def test_decompression_bombs_are_refused_before_decoding() -> None:
    bomb = encoded(Image.new("1", (20_000, 20_000)), "PNG", optimize=True)
    assert len(bomb) < 200_000

    with pytest.raises(AvatarError):
        process_avatar(bomb, max_pixels=40_000_000)
