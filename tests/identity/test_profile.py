"""Profile reads and updates with validation; avatars checked by content and re-encoded."""

from __future__ import annotations

import io

import httpx
from PIL import Image

from tests.identity.helpers import bearer, register


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (800, 400), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc"  # Make
    exif[0x0110] = "Model X"  # Model
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


async def test_profile_updates_are_validated_field_by_field(client: httpx.AsyncClient) -> None:
    headers = bearer((await register(client))["tokens"]["accessToken"])

    bad = await client.put(
        "/v1/users/profile",
        json={"phone": "12345", "timezone": "Mars/Olympus", "dateOfBirth": "2999-01-01"},
        headers=headers,
    )
    good = await client.put(
        "/v1/users/profile",
        json={
            "firstName": "Meera",
            "phone": "+91 98450-12345",
            "timezone": "Asia/Kathmandu",
            "dateOfBirth": "1991-02-03",
            "gender": "female",
            "locale": "hi-IN",
        },
        headers=headers,
    )

    assert bad.status_code == 422
    assert sorted(d["field"] for d in bad.json()["error"]["details"]) == [
        "dateOfBirth",
        "phone",
        "timezone",
    ]
    assert good.status_code == 200
    data = good.json()["data"]
    assert (data["firstName"], data["phone"], data["timezone"]) == (
        "Meera",
        "+919845012345",
        "Asia/Kathmandu",
    )
    assert (data["dateOfBirth"], data["gender"], data["locale"]) == (
        "1991-02-03",
        "female",
        "hi-IN",
    )
    assert data["phoneVerified"] is False
    again = await client.get("/v1/users/profile", headers=headers)
    assert again.json()["data"]["phone"] == "+919845012345"


async def test_avatar_is_sniffed_reencoded_and_served(client: httpx.AsyncClient) -> None:
    data = await register(client)
    headers = bearer(data["tokens"]["accessToken"])

    disguised = await client.post(
        "/v1/users/upload-avatar",
        files={"file": ("photo.png", b"<?php system($_GET['c']); ?>", "image/png")},
        headers=headers,
    )
    uploaded = await client.post(
        "/v1/users/upload-avatar",
        files={"file": ("anything.txt", jpeg_with_exif(), "text/plain")},
        headers=headers,
    )

    assert disguised.status_code == 422
    assert disguised.json()["error"]["details"][0]["field"] == "file"
    assert uploaded.status_code == 200
    profile = uploaded.json()["data"]
    full = await client.get(profile["avatarUrl"])
    thumb = await client.get(profile["thumbnailUrl"])
    assert full.status_code == 200
    assert full.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(full.content))
    assert image.size == (512, 256)
    assert not image.getexif()
    assert b"SpyCam" not in full.content
    assert Image.open(io.BytesIO(thumb.content)).size == (128, 128)


async def test_avatar_needs_a_signed_in_user(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/users/upload-avatar", files={"file": ("a.jpg", jpeg_with_exif(), "image/jpeg")}
    )
    assert response.status_code == 401
