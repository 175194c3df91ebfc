"""Password hashing with bcrypt; the work factor comes from settings (12 in production)."""

from __future__ import annotations

import bcrypt

# bcrypt only reads the first 72 bytes; longer inputs are rejected upstream by validation.
MAX_PASSWORD_BYTES = 72


def hash_password(password: str, rounds: int) -> str:
    return bcrypt.hashpw(password.encode()[:MAX_PASSWORD_BYTES], bcrypt.gensalt(rounds)).decode()


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode()[:MAX_PASSWORD_BYTES], password_hash.encode())
    except ValueError:  # a malformed stored hash never matches
        return False
