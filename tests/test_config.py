"""Settings: read from the environment, refusing an unsafe production configuration."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from pydantic import ValidationError

from klearkarma.config import DEFAULT_SECRET_KEY, Settings, parse_rate

SECRET = "s" * 40
GATEWAY: dict[str, str] = {
    "payment_gateway": "stripe",
    "stripe_secret_key": "sk_live_x",
    "stripe_webhook_secret": "whsec_x",
}
PG = "postgresql://kk@db.internal:5432/klearkarma"

# Every variable Settings reads: the tests start from an empty environment (CI exports some).
VARIABLES = [
    "KLEARKARMA_ENV",
    "DATABASE_URL",
    "REDIS_URL",
    "HOST",
    "PORT",
    "DATA_DIR",
    "DEMO_DATA",
    "KLEARKARMA_SECRET_KEY",
    "KLEARKARMA_ADMIN_EMAIL",
    "KLEARKARMA_ADMIN_PASSWORD",
    "KLEARKARMA_RATE_LIMIT_ENABLED",
    "KLEARKARMA_RATE_LIMIT_AUTH",
    "KLEARKARMA_RATE_LIMIT_WRITE",
    "KLEARKARMA_RATE_LIMIT_READ",
    "SMTP_URL",
    "MAIL_FROM",
    "KLEARKARMA_CORS_ORIGINS",
    "KLEARKARMA_MAX_JSON_BYTES",
    "KLEARKARMA_MAX_UPLOAD_BYTES",
    "KLEARKARMA_RUN_WORKER",
    "KLEARKARMA_WORKER_CONCURRENCY",
    "KLEARKARMA_DB_POOL_SIZE",
    "KLEARKARMA_BCRYPT_ROUNDS",
    "LOG_LEVEL",
    "KLEARKARMA_LOG_FORMAT",
    "KLEARKARMA_METRICS_TOKEN",
    "KLEARKARMA_CACHE_PREFIX",
]


@pytest.fixture(autouse=True)
def empty_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env next to the tests can leak in


def errors_of(raised: pytest.ExceptionInfo[ValidationError]) -> str:
    return "\n".join(str(error["msg"]) for error in raised.value.errors())


# --- production refuses unsafe settings -----------------------------------------------------------


def test_production_without_a_secret_is_refused() -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(env="production", database_url=PG)

    assert "KLEARKARMA_SECRET_KEY" in errors_of(raised)


def test_production_with_the_placeholder_secret_is_refused() -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(env="production", database_url=PG, secret_key=DEFAULT_SECRET_KEY)

    assert "KLEARKARMA_SECRET_KEY" in errors_of(raised)


@pytest.mark.parametrize("length", [0, 1, 31])
def test_production_with_a_short_secret_is_refused(length: int) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(env="production", database_url=PG, secret_key="x" * length)

    assert "at least 32 characters" in errors_of(raised)


def test_production_without_a_database_url_is_refused() -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(env="production", secret_key=SECRET)

    message = errors_of(raised)
    assert "DATABASE_URL" in message
    assert "KLEARKARMA_SECRET_KEY" not in message


def test_production_with_secret_and_database_is_accepted() -> None:
    settings = Settings(env="production", secret_key="y" * 32, database_url=PG, **GATEWAY)

    assert settings.is_production is True
    assert settings.secret_key.get_secret_value() == "y" * 32
    assert settings.database_url == PG
    assert "y" * 32 not in repr(settings)


def test_production_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLEARKARMA_ENV", "production")
    monkeypatch.setenv("KLEARKARMA_SECRET_KEY", SECRET)
    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.setenv("KLEARKARMA_PAYMENT_GATEWAY", "razorpay")
    for name in ("RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET", "RAZORPAY_WEBHOOK_SECRET"):
        monkeypatch.setenv(name, "rzp-test-value")

    settings = Settings()

    assert (settings.env, settings.is_production, settings.database_url) == ("production", True, PG)


def test_production_refuses_the_sandbox_gateway_and_missing_gateway_secrets() -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(env="production", secret_key=SECRET, database_url=PG)
    assert "KLEARKARMA_PAYMENT_GATEWAY" in errors_of(raised)
    with pytest.raises(ValidationError) as raised:
        Settings(
            env="production",
            secret_key=SECRET,
            database_url=PG,
            payment_gateway="stripe",
            stripe_secret_key="sk_live_x",
        )
    assert "STRIPE_WEBHOOK_SECRET" in errors_of(raised)
    assert "STRIPE_SECRET_KEY" not in errors_of(raised)


def test_development_accepts_the_defaults() -> None:
    settings = Settings()

    assert settings.env == "development"
    assert settings.is_production is False
    assert settings.database_url is None
    assert settings.secret_key.get_secret_value() == DEFAULT_SECRET_KEY
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.rate_limit_enabled is True
    assert settings.cors_origins == []
    assert settings.storage_dir == Path("./var") / "files"


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(env="staging")


# --- the environment is read ----------------------------------------------------------------------


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # given
    monkeypatch.setenv("PORT", "9001")
    monkeypatch.setenv("KLEARKARMA_CORS_ORIGINS", "http://a.test, http://b.test")
    monkeypatch.setenv("KLEARKARMA_RATE_LIMIT_ENABLED", "false")
    monkeypatch.setenv("DEMO_DATA", "1")
    monkeypatch.setenv("DATA_DIR", "/srv/kk")
    monkeypatch.setenv("SMTP_URL", "smtp://u:p@mail.test:2525")
    monkeypatch.setenv("KLEARKARMA_RATE_LIMIT_AUTH", "5/30")

    # when
    settings = Settings()

    # then
    assert settings.port == 9001
    assert settings.cors_origins == ["http://a.test", "http://b.test"]
    assert settings.rate_limit_enabled is False
    assert settings.demo_data is True
    assert settings.storage_dir == Path("/srv/kk/files")
    assert settings.smtp_url is not None
    assert settings.smtp_url.get_secret_value() == "smtp://u:p@mail.test:2525"
    assert settings.rate_limit_auth == "5/30"


def test_blank_cors_entries_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLEARKARMA_CORS_ORIGINS", " , http://a.test,,")

    assert Settings().cors_origins == ["http://a.test"]


def test_keyword_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9001")

    assert Settings(port=9002).port == 9002


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "0"),
        ("PORT", "65536"),
        ("PORT", "http"),
        ("KLEARKARMA_RATE_LIMIT_ENABLED", "maybe"),
        ("KLEARKARMA_LOG_FORMAT", "xml"),
        ("KLEARKARMA_BCRYPT_ROUNDS", "3"),
        ("KLEARKARMA_BCRYPT_ROUNDS", "17"),
        ("KLEARKARMA_WORKER_CONCURRENCY", "0"),
    ],
)
def test_out_of_range_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError):
        Settings()


@pytest.mark.parametrize(
    "name",
    ["KLEARKARMA_RATE_LIMIT_AUTH", "KLEARKARMA_RATE_LIMIT_WRITE", "KLEARKARMA_RATE_LIMIT_READ"],
)
@pytest.mark.parametrize("value", ["abc", "20", "0/60", "20/0", "-1/60", "20/-5", "x/60"])
def test_malformed_rate_limit_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError) as raised:
        Settings()

    assert "rate limit" in errors_of(raised)


def test_parse_rate() -> None:
    assert parse_rate("20/60") == (20, 60.0)
    assert parse_rate("1/0.5") == (1, 0.5)
    assert parse_rate(" 600 / 60 ") == (600, 60.0)


@pytest.mark.parametrize("value", ["", "/", "20/", "/60", "20/60/1", "twenty/60", "2.5/60"])
def test_parse_rate_refuses_malformed_values(value: str) -> None:
    with pytest.raises(ValueError, match="requests/seconds"):
        parse_rate(value)


@pytest.mark.parametrize("value", ["20/nan", "20/inf"])
def test_parse_rate_refuses_a_window_that_is_not_finite(value: str) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        _, window = parse_rate(value)
        assert math.isfinite(window)


# --- derived settings -----------------------------------------------------------------------------


def test_password_rounds_follow_the_environment() -> None:
    assert Settings(env="test").password_rounds == 4
    assert Settings(env="development").password_rounds == 12
    assert (
        Settings(env="production", secret_key=SECRET, database_url=PG, **GATEWAY).password_rounds
        == 12
    )


def test_bcrypt_rounds_override_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLEARKARMA_BCRYPT_ROUNDS", "10")

    assert Settings(env="test").password_rounds == 10
    assert (
        Settings(env="production", secret_key=SECRET, database_url=PG, **GATEWAY).password_rounds
        == 10
    )


def test_worker_runs_in_process_only_in_development_by_default() -> None:
    assert Settings(env="development").worker_in_process is True
    assert Settings(env="test").worker_in_process is False
    assert (
        Settings(env="production", secret_key=SECRET, database_url=PG, **GATEWAY).worker_in_process
        is False
    )


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("0", False)])
def test_run_worker_overrides_the_default(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("KLEARKARMA_RUN_WORKER", value)

    assert Settings(env="development").worker_in_process is expected
    assert Settings(env="test").worker_in_process is expected
    assert (
        Settings(env="production", secret_key=SECRET, database_url=PG, **GATEWAY).worker_in_process
        is expected
    )
