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


MIN_PASSWORD_LENGTH = 10
MIN_STRENGTH_SCORE = 3  # zxcvbn: 0 (guessable) … 4 (very unguessable)


def password_problem(password: str, user_inputs: list[str]) -> str | None:
    """Why ``password`` is not good enough, in words a person can act on; None when it is."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        return f"Use at most {MAX_PASSWORD_BYTES} bytes (about {MAX_PASSWORD_BYTES} characters)."
    from zxcvbn import zxcvbn

    result = zxcvbn(password[:MAX_PASSWORD_BYTES], user_inputs=[u for u in user_inputs if u])
    if result["score"] >= MIN_STRENGTH_SCORE:
        return None
    feedback = result.get("feedback") or {}
    parts = [feedback.get("warning") or "This password is too easy to guess."]
    parts.extend(feedback.get("suggestions") or ["Add more words or characters."])
    return " ".join(part.rstrip(".") + "." for part in parts if part)
