"""The security log's rule-based risk score."""

from __future__ import annotations

from decimal import Decimal

from klearkarma.core.db import Database
from klearkarma.identity import events
from tests.factories import make_user

HOME = events.Client(ip="203.0.113.10", user_agent="Firefox/140")
CAFE = events.Client(ip="198.51.100.7", user_agent="Firefox/140")
NEW_PHONE = events.Client(ip="198.51.100.7", user_agent="Safari/19")


async def test_new_address_and_device_raise_the_score(db: Database) -> None:
    async with db.transaction() as session:
        user = await make_user(session)
        first = await events.record(session, "login", user_id=user.id, client=HOME)
        same = await events.record(session, "login", user_id=user.id, client=HOME)
        new_ip = await events.record(session, "login", user_id=user.id, client=CAFE)
        new_device = await events.record(session, "login", user_id=user.id, client=NEW_PHONE)

    assert first.risk_score == Decimal("0")  # no history yet: nothing to compare with
    assert same.risk_score == Decimal("0")
    assert new_ip.risk_score == Decimal("0.3")
    assert new_device.risk_score == Decimal("0.2")
    assert not any(e.flagged for e in (first, same, new_ip, new_device))


async def test_a_burst_of_failures_is_flagged(db: Database) -> None:
    async with db.transaction() as session:
        user = await make_user(session)
        scores = [
            (await events.record(session, "failed_login", user_id=user.id, client=CAFE)).risk_score
            for _ in range(6)
        ]
        reuse = await events.record(session, "token_reuse", user_id=user.id, client=CAFE)

    assert scores == [Decimal(s) for s in ("0.25", "0.25", "0.25", "0.55", "0.55", "0.85")]
    assert reuse.flagged is True
    assert reuse.risk_score == Decimal("1.0")
