"""``for_driver`` / ``DriverStatement``: statements compiled once to positional asyncpg SQL.

Covered: named parameters become ``$1..`` (one position per name, however often it is used),
``args`` orders each call's values by position and runs them through the dialect's bind
processors (an enum member reaches the driver as its plain string value), constants the
statement carries keep their values, a missing value is a ``KeyError``; and the compiled SQL
runs on a real asyncpg connection and returns the rows the test inserted.
"""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import Select, Text, bindparam, or_, select

from klearkarma.core.db import Database
from klearkarma.core.prepared import DriverStatement, for_driver
from klearkarma.practitioners.models import Practitioner, VerificationStatus
from klearkarma.practitioners.service import public
from tests.factories import make_practitioner


def directory_statement() -> Select[str]:
    # "place" is used twice, "headline" once; public() carries the VERIFIED enum constant and
    # limit(5) an integer constant.
    place = bindparam("place", type_=Text)
    return (
        select(Practitioner.display_name)
        .where(
            public(),
            or_(Practitioner.city == place, Practitioner.country == place),
            Practitioner.headline == bindparam("headline", type_=Text),
        )
        .order_by(Practitioner.display_name)
        .limit(5)
    )


def positions(statement: DriverStatement) -> list[int]:
    return [int(n) for n in re.findall(r"\$(\d+)", statement.sql)]


def test_parameters_are_positional_and_numbered_from_one() -> None:
    statement = for_driver(directory_statement())
    assert sorted(set(positions(statement))) == list(range(1, len(statement.names) + 1))
    assert ":place" not in statement.sql
    assert "%(place)s" not in statement.sql
    assert len(statement.names) == 4  # the enum constant, place, headline, the limit


def test_a_name_used_twice_has_one_position() -> None:
    statement = for_driver(directory_statement())
    assert statement.names.count("place") == 1
    place = f"${statement.names.index('place') + 1}"
    assert re.findall(rf"\{place}(?!\d)", statement.sql) == [place, place]


def test_args_orders_values_by_position() -> None:
    statement = for_driver(directory_statement())
    args = statement.args({"headline": "Breathwork", "place": "Pune"})
    assert args[statement.names.index("place")] == "Pune"
    assert args[statement.names.index("headline")] == "Breathwork"
    assert len(args) == len(statement.names)


def test_constants_keep_their_values_and_enums_reach_the_driver_as_strings() -> None:
    statement = for_driver(directory_statement())
    args = statement.args({"headline": "h", "place": "p"})
    assert set(statement.fixed) == {
        name for name in statement.names if name not in {"place", "headline"}
    }
    fixed_args = [args[statement.names.index(name)] for name in statement.fixed]
    assert 5 in fixed_args
    status = next(value for value in fixed_args if value != 5)
    assert status == "verified"
    assert type(status) is str  # the enum's value, not the StrEnum member


def test_values_given_per_call_go_through_the_bind_processor() -> None:
    statement = for_driver(
        select(Practitioner.id).where(Practitioner.verification_status == bindparam("status"))
    )
    (pending,) = statement.args({"status": VerificationStatus.PENDING})
    assert pending == "pending"
    assert type(pending) is str
    assert statement.args({"status": None}) == [None]


def test_a_missing_value_raises_key_error() -> None:
    statement = for_driver(directory_statement())
    with pytest.raises(KeyError, match="headline"):
        statement.args({"place": "Pune"})


async def test_compiled_statement_runs_on_asyncpg_and_returns_the_inserted_rows(
    db: Database,
) -> None:
    city = f"Testpur-{uuid.uuid4().hex[:8]}"
    async with db.transaction() as session:
        for name in ("Zara Verified", "Anil Verified"):
            await make_practitioner(session, display_name=name, city=city, headline="Breathwork")
        await make_practitioner(
            session,
            display_name="Pia Pending",
            city=city,
            headline="Breathwork",
            verification_status=VerificationStatus.PENDING,
        )
        await make_practitioner(
            session, display_name="Ina Inactive", city=city, headline="Breathwork", is_active=False
        )
        await make_practitioner(
            session, display_name="Olu Other", city=city, headline="Something else"
        )

    statement = for_driver(directory_statement())
    async with db.reading() as connection:
        rows = await connection.fetch(
            statement.sql, *statement.args({"place": city, "headline": "Breathwork"})
        )
    assert [row["display_name"] for row in rows] == ["Anil Verified", "Zara Verified"]

    first = await db.read(statement.sql, *statement.args({"place": city, "headline": "Breathwork"}))
    assert first is not None
    assert first["display_name"] == "Anil Verified"
    assert await db.read(statement.sql, *statement.args({"place": city, "headline": "x"})) is None


async def test_an_enum_value_given_per_call_selects_on_a_real_connection(db: Database) -> None:
    city = f"Testpur-{uuid.uuid4().hex[:8]}"
    async with db.transaction() as session:
        await make_practitioner(session, display_name="Vic Verified", city=city)
        await make_practitioner(
            session,
            display_name="Pia Pending",
            city=city,
            verification_status=VerificationStatus.PENDING,
        )
    statement = for_driver(
        select(Practitioner.display_name).where(
            Practitioner.verification_status == bindparam("status"),
            Practitioner.city == bindparam("city", type_=Text),
        )
    )
    row = await db.read(
        statement.sql, *statement.args({"status": VerificationStatus.PENDING, "city": city})
    )
    assert row is not None
    assert row["display_name"] == "Pia Pending"
