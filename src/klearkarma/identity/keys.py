"""The identity context's keys, derived once from the platform secret."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from klearkarma.config import Settings
from klearkarma.core.crypto import FieldCipher, derive_key
from klearkarma.identity.tokens import TokenSigner


@dataclass(frozen=True)
class IdentityKeys:
    signer: TokenSigner
    token_hash: bytes  # keyed hashes of refresh tokens, links and codes
    cipher: FieldCipher  # TOTP secrets at rest


@cache
def _derive(secret: str, ttl: int) -> IdentityKeys:
    return IdentityKeys(
        signer=TokenSigner(secret, ttl),
        token_hash=derive_key(secret, "token-hash"),
        cipher=FieldCipher.from_secret(secret),
    )


def identity_keys(settings: Settings) -> IdentityKeys:
    return _derive(settings.secret_key.get_secret_value(), settings.access_token_ttl_seconds)
