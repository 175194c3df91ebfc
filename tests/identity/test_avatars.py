"""Avatar processing: content sniffing, metadata stripping, sizes, refusals, decompression bombs.

Every input is built in memory with Pillow, so each test states exactly what the upload holds.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile
from PIL.PngImagePlugin import PngInfo

from klearkarma.identity.avatars import AvatarError, ProcessedImage, process_avatar

GPS_IFD = 0x8825
ORIENTATION, MAKE, MODEL, DATETIME = 0x0112, 0x010F, 0x0110, 0x0132
NOT_AN_IMAGE = "not a JPEG, PNG, WebP or GIF image"


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def opened(result: ProcessedImage) -> Image.Image:
    image = Image.open(io.BytesIO(result.data))
    assert (image.width, image.height) == (result.width, result.height)
    return image


def camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # the camera was turned: rotate 90° clockwise to display
    exif[MAKE] = "SpyCam Inc"
    exif[MODEL] = "Model X-1"
    exif[DATETIME] = "2026:01:02 03:04:05"
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (12.0, 58.0, 17.0)  # latitude: somebody's home
    gps[3], gps[4] = "E", (77.0, 35.0, 40.0)
    return exif


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every pixel decode, to prove that a refusal happened before any."""
    calls: list[str] = []
    original = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> object:
        calls.append(str(self.format))
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return calls


# --- what comes out -------------------------------------------------------------------------------


def test_metadata_is_stripped_and_orientation_applied() -> None:
    # given: a landscape-encoded camera JPEG with GPS, XMP, an ICC profile and a comment
    source = encoded(
        Image.new("RGB", (1000, 600), (10, 200, 30)),
        "JPEG",
        exif=camera_exif(),
        xmp=b"<x:xmpmeta>creator: Jane Doe</x:xmpmeta>",
        icc_profile=b"profile-bytes" * 8,
        comment=b"taken at 12 Park Street",
    )
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(GPS_IFD)  # the test means something

    # when
    result = process_avatar(source)

    # then: upright (portrait), fitted into 512x512, nothing but pixels left
    out = opened(result.image)
    assert (result.image.content_type, out.format) == ("image/jpeg", "JPEG")
    assert out.size == (307, 512)
    assert dict(out.getexif()) == {}
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(out.info)
    for secret in (b"SpyCam", b"Model X-1", b"2026:01:02", b"Jane Doe", b"profile-bytes", b"Park"):
        assert secret not in result.image.data
        assert secret not in result.thumbnail.data
    thumb = opened(result.thumbnail)
    assert (result.thumbnail.content_type, thumb.size) == ("image/jpeg", (128, 128))
    assert dict(thumb.getexif()) == {}
    assert "exif" not in thumb.info


def test_orientation_turns_the_pixels_not_just_the_size() -> None:
    # given: left half red, right half blue, stored with "rotate 90° clockwise"
    image = Image.new("RGB", (400, 200), (255, 0, 0))
    image.paste((0, 0, 255), (200, 0, 400, 200))
    exif = Image.Exif()
    exif[ORIENTATION] = 6

    result = process_avatar(encoded(image, "PNG", exif=exif))

    # then: upright, the left half became the top half
    out = opened(result.image).convert("RGB")
    assert out.size == (200, 400)
    top, bottom = out.getpixel((100, 50)), out.getpixel((100, 350))
    assert isinstance(top, tuple)
    assert isinstance(bottom, tuple)
    assert top[0] > 200 > top[2]
    assert bottom[2] > 200 > bottom[0]


def test_small_images_are_not_enlarged_and_thumbnails_are_centre_cropped() -> None:
    # given: a 300x100 strip, white in the middle third, black at both ends
    image = Image.new("RGB", (300, 100), (0, 0, 0))
    image.paste((255, 255, 255), (100, 0, 200, 100))

    result = process_avatar(encoded(image, "PNG"))

    assert (result.image.width, result.image.height) == (300, 100)
    thumb = opened(result.thumbnail).convert("L")
    assert thumb.size == (128, 128)
    darkest = thumb.getextrema()[0]
    assert isinstance(darkest, int)
    assert darkest > 200  # only the white centre square is kept


def test_transparency_is_kept_as_png() -> None:
    source = encoded(Image.new("RGBA", (300, 200), (255, 0, 0, 128)), "PNG")

    result = process_avatar(source)

    out = opened(result.image)
    assert (result.image.content_type, out.format, out.mode) == ("image/png", "PNG", "RGBA")
    assert out.getpixel((10, 10)) == (255, 0, 0, 128)
    assert (result.image.width, result.image.height) == (300, 200)
    thumb = opened(result.thumbnail)
    assert (result.thumbnail.content_type, thumb.mode, thumb.size) == (
        "image/png",
        "RGBA",
        (128, 128),
    )


def test_an_alpha_channel_without_transparency_becomes_jpeg() -> None:
    source = encoded(Image.new("RGBA", (64, 64), (0, 128, 0, 255)), "PNG")

    result = process_avatar(source)

    assert result.image.content_type == "image/jpeg"
    assert opened(result.image).mode == "RGB"


def test_png_text_chunks_do_not_survive() -> None:
    # given: a valid PNG carrying a PHP payload and an author in text chunks
    chunks = PngInfo()
    chunks.add_text("Comment", "<?php system($_GET['c']); ?>")
    chunks.add_text("Author", "Jane Doe")
    source = encoded(Image.new("RGB", (32, 32), (1, 2, 3)), "PNG", pnginfo=chunks)
    assert b"<?php" in source

    result = process_avatar(source)

    assert b"<?php" not in result.image.data
    assert b"Jane Doe" not in result.image.data
    assert "Comment" not in opened(result.image).info


def test_webp_is_accepted_and_reencoded() -> None:
    source = encoded(Image.new("RGB", (600, 300), (200, 100, 50)), "WEBP", quality=90)

    result = process_avatar(source)

    assert result.image.content_type == "image/jpeg"
    assert (result.image.width, result.image.height) == (512, 256)


def test_animated_gif_uses_its_first_frame() -> None:
    # given: red, green, blue frames
    frames = [
        Image.new("RGB", (64, 64), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))
    ]
    source = encoded(
        frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0
    )
    assert getattr(Image.open(io.BytesIO(source)), "n_frames", 1) == 3

    result = process_avatar(source)

    out = opened(result.image).convert("RGB")
    assert result.image.content_type == "image/jpeg"
    assert out.size == (64, 64)
    red, green, blue = out.getpixel((32, 32))  # type: ignore[misc]
    assert red > 240 > 15 > max(green, blue)


def test_gif_transparency_is_kept() -> None:
    image = Image.new("P", (40, 40), 0)
    image.putpalette([255, 255, 255, 255, 0, 0] + [0, 0, 0] * 254)
    image.paste(1, (0, 0, 20, 40))  # left half red, right half index 0: transparent

    result = process_avatar(encoded(image, "GIF", transparency=0))

    out = opened(result.image)
    assert (result.image.content_type, out.mode) == ("image/png", "RGBA")
    assert out.getpixel((5, 20)) == (255, 0, 0, 255)
    assert out.getpixel((35, 20))[3] == 0  # type: ignore[index]


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"", "The file is empty.", id="empty"),
        pytest.param(b"just some text\n", NOT_AN_IMAGE, id="text"),
        pytest.param(b"<html><script>alert(1)</script></html>", NOT_AN_IMAGE, id="html"),
        pytest.param(b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n", NOT_AN_IMAGE, id="pdf"),
        pytest.param(b"<?php system($_GET['c']); ?>", NOT_AN_IMAGE, id="php-renamed-png"),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
            NOT_AN_IMAGE,
            id="svg",
        ),
        pytest.param(
            b"\x89PNG\r\n\x1a\n" + b"garbage" * 20,
            "The image is damaged or incomplete.",
            id="png-signature-then-garbage",
        ),
        pytest.param(encoded(Image.new("RGB", (10, 10)), "BMP"), NOT_AN_IMAGE, id="bmp"),
        pytest.param(encoded(Image.new("RGB", (10, 10)), "TIFF"), NOT_AN_IMAGE, id="tiff"),
        pytest.param(encoded(Image.new("RGB", (16, 16)), "ICO"), NOT_AN_IMAGE, id="ico"),
        pytest.param(
            b"x" * (5 * 1024 * 1024 + 1), "The file is larger than 5 MiB.", id="too-many-bytes"
        ),
    ],
)
def test_refusals_explain_themselves(data: bytes, message: str, loads: list[str]) -> None:
    with pytest.raises(AvatarError) as refused:
        process_avatar(data)

    assert message in str(refused.value)
    assert loads == []


def test_the_byte_limit_is_per_call() -> None:
    source = encoded(Image.new("RGB", (64, 64), (9, 9, 9)), "PNG")

    with pytest.raises(AvatarError, match="The file is larger than"):
        process_avatar(source, max_bytes=len(source) - 1)
    assert process_avatar(source, max_bytes=len(source)).image.width == 64


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_images_are_refused(fmt: str) -> None:
    # noise does not compress, so the cut removes most of the pixel data, not just trailing bytes
    whole = encoded(Image.effect_noise((256, 256), 64).convert("RGB"), fmt)

    with pytest.raises(AvatarError, match=r"^The image is damaged or incomplete\.$"):
        process_avatar(whole[: len(whole) // 2])


def test_decompression_bomb_is_refused_from_its_header(loads: list[str]) -> None:
    # given: 20000x20000 one-bit pixels (400 megapixels, gigabytes once decoded) in a small PNG
    bomb = encoded(Image.new("1", (20_000, 20_000)), "PNG", optimize=True)
    assert len(bomb) < 200_000

    with pytest.raises(AvatarError, match="too large: at most 40 megapixels"):
        process_avatar(bomb)
    assert loads == []  # refused before a single pixel was decoded


def test_images_over_our_pixel_limit_but_under_pillows_are_refused(loads: list[str]) -> None:
    # 42 megapixels: below Pillow's own alarm (~89), above our default 40
    big = encoded(Image.new("L", (7_000, 6_000)), "PNG", optimize=True)

    with pytest.raises(AvatarError, match="at most 40 megapixels"):
        process_avatar(big)
    assert loads == []


def test_the_pixel_limit_is_per_call() -> None:
    source = encoded(Image.new("RGB", (100, 100), (5, 5, 5)), "PNG")

    with pytest.raises(AvatarError, match="at most 9,999 pixels"):
        process_avatar(source, max_pixels=9_999)
    assert process_avatar(source, max_pixels=10_000).image.width == 100


# --- the sizing rule, for any shape ---------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(1, 2000),
    height=st.integers(1, 2000),
    fmt=st.sampled_from(["PNG", "JPEG", "WEBP", "GIF"]),
    colour=st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
)
def test_any_image_fits_512_with_its_aspect_ratio(
    width: int, height: int, fmt: str, colour: tuple[int, int, int]
) -> None:
    result = process_avatar(encoded(Image.new("RGB", (width, height), colour), fmt))

    out = opened(result.image)
    scale = min(1.0, 512 / max(width, height))
    assert max(out.size) == min(512, max(width, height))
    assert abs(out.width - width * scale) <= 1
    assert abs(out.height - height * scale) <= 1
    assert min(out.size) >= 1
    assert opened(result.thumbnail).size == (128, 128)
