"""Secrets derived from the one platform key: token signing, keyed hashes, field encryption.

Each purpose gets its own key (HKDF with a purpose label), so a leak of one derived key exposes
nothing else. Ciphertexts carry a key version prefix so keys can be rotated without rewriting data
at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CURRENT_VERSION = "v1"


def derive_key(secret: str, purpose: str, length: int = 32) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=length,
        salt=b"klearkarma",
        info=f"klearkarma:{purpose}".encode(),
    ).derive(secret.encode())


def random_token(nbytes: int = 32) -> str:
    """An unguessable URL-safe secret (refresh tokens, links in emails)."""
    return secrets.token_urlsafe(nbytes)


def keyed_hash(key: bytes, value: str) -> str:
    """HMAC-SHA256 of ``value``: what we store instead of a token, useless without the key."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


class FieldCipher:
    """AES-256-GCM for values at rest (TOTP secrets now, health notes later)."""

    def __init__(self, keys: dict[str, bytes], current: str = CURRENT_VERSION) -> None:
        self.keys = keys
        self.current = current

    @classmethod
    def from_secret(cls, secret: str) -> FieldCipher:
        return cls({CURRENT_VERSION: derive_key(secret, "field-encryption")})

    def encrypt(self, plaintext: str, *, context: str = "") -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[self.current]).encrypt(
            nonce, plaintext.encode(), context.encode()
        )
        return f"{self.current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, context: str = "") -> str:
        version, _, payload = token.partition(":")
        raw = base64.urlsafe_b64decode(payload.encode())
        return AESGCM(self.keys[version]).decrypt(raw[:12], raw[12:], context.encode()).decode()
