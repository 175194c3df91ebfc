"""The `klearkarma` command against the test database."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from klearkarma.cli import cli
from klearkarma.identity.passwords import verify_password


@pytest.fixture
def cli_env(clean_database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", clean_database_url)
    monkeypatch.setenv("KLEARKARMA_ENV", "test")
    return clean_database_url


def fetch(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(text(sql))]
    engine.dispose()
    return rows


def test_migrate_reports_an_up_to_date_schema(cli_env: str) -> None:
    result = CliRunner().invoke(cli, ["migrate"])

    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_create_admin_creates_once(cli_env: str) -> None:
    runner = CliRunner()
    args = ["create-admin", "--email", "Root@Example.com", "--password", "a-long-admin-pass"]

    first = runner.invoke(cli, args)
    second = runner.invoke(cli, args)

    assert first.exit_code == 0, first.output
    assert "created" in first.output
    assert second.exit_code == 0
    assert "already exists" in second.output
    rows = fetch(cli_env, "SELECT email, user_type, email_verified, password_hash FROM users")
    assert len(rows) == 1
    email, user_type, verified, password_hash = rows[0]
    assert (email, user_type, verified) == ("root@example.com", "admin", True)
    assert verify_password("a-long-admin-pass", str(password_hash))


def test_create_admin_refuses_a_short_password(cli_env: str) -> None:
    runner = CliRunner()

    short = runner.invoke(cli, ["create-admin", "--email", "a@example.com", "--password", "short"])

    assert short.exit_code != 0
    assert fetch(cli_env, "SELECT count(*) FROM users") == [(0,)]


def test_create_admin_never_promotes_an_existing_account(cli_env: str) -> None:
    engine = create_engine(make_url(cli_env).set(drivername="postgresql+psycopg"))
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, email, first_name, last_name, user_type, status, "
                "timezone, locale) VALUES (gen_random_uuid(), 'taken@example.com', 'S', 'K', "
                "'seeker', 'active', 'Asia/Kolkata', 'en-IN')"
            )
        )
    engine.dispose()

    result = CliRunner().invoke(
        cli, ["create-admin", "--email", "TAKEN@example.com", "--password", "a-long-admin-pass"]
    )

    assert result.exit_code == 1
    assert fetch(cli_env, "SELECT user_type FROM users") == [("seeker",)]


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])

    assert result.exit_code == 0
    for command in ("serve", "worker", "migrate", "create-admin", "seed", "ledger", "payments"):
        assert command in result.output


def test_ledger_verify_passes_balanced_books_and_names_what_is_wrong(cli_env: str) -> None:
    assert CliRunner().invoke(cli, ["migrate"]).exit_code == 0
    clean = CliRunner().invoke(cli, ["ledger", "verify"])
    assert clean.exit_code == 0, clean.output
    assert "ledger balanced" in clean.output

    # A balanced transaction the business records cannot explain: revenue from nowhere.
    engine = create_engine(make_url(cli_env).set(drivername="postgresql+psycopg"))
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO ledger_accounts (code, kind, currency) VALUES "
                "('gateway_clearing', 'gateway_clearing', 'INR'), "
                "('platform_revenue', 'platform_revenue', 'INR')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO ledger_transactions (id, key, kind, created_at) "
                "VALUES ('00000000-0000-0000-0000-0000000000aa', 'manual:1', 'manual', now())"
            )
        )
        connection.execute(
            text(
                "INSERT INTO ledger_entries (transaction_id, account_id, amount) "
                "SELECT '00000000-0000-0000-0000-0000000000aa', id, "
                "CASE code WHEN 'gateway_clearing' THEN 50.00 ELSE -50.00 END "
                "FROM ledger_accounts"
            )
        )
    engine.dispose()
    broken = CliRunner().invoke(cli, ["ledger", "verify"])
    assert broken.exit_code == 1
    assert "platform_revenue (INR) is -50.00, expected 0" in broken.output
    assert "gateway_clearing (INR) is 50.00, expected 0" in broken.output
