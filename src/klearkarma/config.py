"""Settings read from the environment once, at start-up.

Every knob the operators turn lives here so that a replica's behaviour is fully described by its
environment; nothing else in the code reads ``os.environ``.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105 - the placeholder we refuse in production

Environment = Literal["development", "test", "production"]


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """The platform's configuration; see docs/operations.md for every variable."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    env: Environment = Field("development", validation_alias=_env("KLEARKARMA_ENV", "env"))
    database_url: str | None = Field(None, validation_alias=_env("DATABASE_URL", "database_url"))
    redis_url: str | None = Field(None, validation_alias=_env("REDIS_URL", "redis_url"))
    # Where hot read-only statements (search) run: a read replica keeps them off the primary.
    reads_database_url: str | None = Field(
        None, validation_alias=_env("KLEARKARMA_READS_DATABASE_URL", "reads_database_url")
    )
    host: str = Field("127.0.0.1", validation_alias=_env("HOST", "host"))
    port: int = Field(8000, ge=1, le=65535, validation_alias=_env("PORT", "port"))
    data_dir: Path = Field(Path("./var"), validation_alias=_env("DATA_DIR", "data_dir"))
    demo_data: bool = Field(False, validation_alias=_env("DEMO_DATA", "demo_data"))
    secret_key: SecretStr = Field(
        SecretStr(DEFAULT_SECRET_KEY),
        validation_alias=_env("KLEARKARMA_SECRET_KEY", "secret_key"),
    )
    admin_email: str | None = Field(
        None, validation_alias=_env("KLEARKARMA_ADMIN_EMAIL", "admin_email")
    )
    admin_password: SecretStr | None = Field(
        None, validation_alias=_env("KLEARKARMA_ADMIN_PASSWORD", "admin_password")
    )
    rate_limit_enabled: bool = Field(
        True, validation_alias=_env("KLEARKARMA_RATE_LIMIT_ENABLED", "rate_limit_enabled")
    )
    # "requests/seconds" per route class; both the per-IP and the per-user budget use it.
    rate_limit_auth: str = Field(
        "20/60", validation_alias=_env("KLEARKARMA_RATE_LIMIT_AUTH", "rate_limit_auth")
    )
    rate_limit_write: str = Field(
        "120/60", validation_alias=_env("KLEARKARMA_RATE_LIMIT_WRITE", "rate_limit_write")
    )
    rate_limit_read: str = Field(
        "600/60", validation_alias=_env("KLEARKARMA_RATE_LIMIT_READ", "rate_limit_read")
    )
    smtp_url: SecretStr | None = Field(None, validation_alias=_env("SMTP_URL", "smtp_url"))
    mail_from: str = Field(
        "Klear Karma <no-reply@klearkarma.local>", validation_alias=_env("MAIL_FROM", "mail_from")
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("KLEARKARMA_CORS_ORIGINS", "cors_origins")
    )
    max_json_bytes: int = Field(
        1024 * 1024, ge=1024, validation_alias=_env("KLEARKARMA_MAX_JSON_BYTES", "max_json_bytes")
    )
    max_upload_bytes: int = Field(
        10 * 1024 * 1024,
        ge=1024,
        validation_alias=_env("KLEARKARMA_MAX_UPLOAD_BYTES", "max_upload_bytes"),
    )
    run_worker: bool | None = Field(
        None, validation_alias=_env("KLEARKARMA_RUN_WORKER", "run_worker")
    )
    worker_concurrency: int = Field(
        4, ge=1, validation_alias=_env("KLEARKARMA_WORKER_CONCURRENCY", "worker_concurrency")
    )
    db_pool_size: int = Field(
        10, ge=1, validation_alias=_env("KLEARKARMA_DB_POOL_SIZE", "db_pool_size")
    )
    bcrypt_rounds: int | None = Field(
        None, ge=4, le=16, validation_alias=_env("KLEARKARMA_BCRYPT_ROUNDS", "bcrypt_rounds")
    )
    log_level: str = Field("INFO", validation_alias=_env("LOG_LEVEL", "log_level"))
    log_format: Literal["json", "console"] = Field(
        "json", validation_alias=_env("KLEARKARMA_LOG_FORMAT", "log_format")
    )
    metrics_token: SecretStr | None = Field(
        None, validation_alias=_env("KLEARKARMA_METRICS_TOKEN", "metrics_token")
    )
    cache_prefix: str = Field(
        "kk:", validation_alias=_env("KLEARKARMA_CACHE_PREFIX", "cache_prefix")
    )
    # Bookings: the platform's share, how long an unpaid booking holds its slot, and the policy.
    commission_rate: Decimal = Field(
        Decimal("0.15"),
        ge=0,
        le=1,
        validation_alias=_env("KLEARKARMA_COMMISSION_RATE", "commission_rate"),
    )
    booking_hold_minutes: int = Field(
        10,
        ge=1,
        le=120,
        validation_alias=_env("KLEARKARMA_BOOKING_HOLD_MINUTES", "booking_hold_minutes"),
    )
    full_refund_hours: int = Field(
        24, ge=0, validation_alias=_env("KLEARKARMA_FULL_REFUND_HOURS", "full_refund_hours")
    )
    late_cancel_refund: Decimal = Field(
        Decimal("0.5"),
        ge=0,
        le=1,
        validation_alias=_env("KLEARKARMA_LATE_CANCEL_REFUND", "late_cancel_refund"),
    )
    # Payments: which processor, its secrets, and when practitioners get their money.
    payment_gateway: Literal["sandbox", "stripe", "razorpay"] = Field(
        "sandbox", validation_alias=_env("KLEARKARMA_PAYMENT_GATEWAY", "payment_gateway")
    )
    sandbox_webhook_secret: SecretStr | None = Field(
        None, validation_alias=_env("KLEARKARMA_SANDBOX_WEBHOOK_SECRET", "sandbox_webhook_secret")
    )
    # Off in tests, which deliver the sandbox's webhooks themselves in the order they choose.
    sandbox_webhook_delivery: bool = Field(
        True,
        validation_alias=_env("KLEARKARMA_SANDBOX_WEBHOOK_DELIVERY", "sandbox_webhook_delivery"),
    )
    stripe_secret_key: SecretStr | None = Field(
        None, validation_alias=_env("STRIPE_SECRET_KEY", "stripe_secret_key")
    )
    stripe_webhook_secret: SecretStr | None = Field(
        None, validation_alias=_env("STRIPE_WEBHOOK_SECRET", "stripe_webhook_secret")
    )
    razorpay_key_id: str | None = Field(
        None, validation_alias=_env("RAZORPAY_KEY_ID", "razorpay_key_id")
    )
    razorpay_key_secret: SecretStr | None = Field(
        None, validation_alias=_env("RAZORPAY_KEY_SECRET", "razorpay_key_secret")
    )
    razorpay_webhook_secret: SecretStr | None = Field(
        None, validation_alias=_env("RAZORPAY_WEBHOOK_SECRET", "razorpay_webhook_secret")
    )
    payout_holding_days: int = Field(
        7,
        ge=0,
        le=90,
        validation_alias=_env("KLEARKARMA_PAYOUT_HOLDING_DAYS", "payout_holding_days"),
    )
    payout_minimum: Decimal = Field(
        Decimal("1.00"),
        ge=0,
        validation_alias=_env("KLEARKARMA_PAYOUT_MINIMUM", "payout_minimum"),
    )
    gst_rate: Decimal = Field(
        Decimal("0.18"), ge=0, le=1, validation_alias=_env("KLEARKARMA_GST_RATE", "gst_rate")
    )
    gstin: str = Field("29AAACK1234K1Z5", validation_alias=_env("KLEARKARMA_GSTIN", "gstin"))
    # Seconds a process may keep a tagged public response; invalidation normally drops it sooner.
    response_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=300,
        validation_alias=_env("KLEARKARMA_RESPONSE_CACHE_SECONDS", "response_cache_seconds"),
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", validation_alias=_env("KLEARKARMA_PUBLIC_URL", "public_url")
    )
    access_token_ttl_seconds: int = Field(
        900,
        ge=60,
        le=3600,
        validation_alias=_env("KLEARKARMA_ACCESS_TOKEN_TTL", "access_token_ttl_seconds"),
    )
    refresh_token_ttl_days: int = Field(
        30,
        ge=1,
        le=365,
        validation_alias=_env("KLEARKARMA_REFRESH_TOKEN_TTL_DAYS", "refresh_token_ttl_days"),
    )
    # Social login. Google and Facebook need only their client ids; any other OpenID Connect issuer
    # is configured as JSON: {"name": {"issuer": "https://…", "client_id": "…"}}.
    google_client_id: str | None = Field(
        None, validation_alias=_env("GOOGLE_CLIENT_ID", "google_client_id")
    )
    facebook_app_id: str | None = Field(
        None, validation_alias=_env("FACEBOOK_APP_ID", "facebook_app_id")
    )
    oidc_providers: str | None = Field(
        None, validation_alias=_env("KLEARKARMA_OIDC_PROVIDERS", "oidc_providers")
    )
    # SMS through Twilio; unset: texts land in the dev outbox.
    twilio_account_sid: str | None = Field(
        None, validation_alias=_env("TWILIO_ACCOUNT_SID", "twilio_account_sid")
    )
    twilio_auth_token: SecretStr | None = Field(
        None, validation_alias=_env("TWILIO_AUTH_TOKEN", "twilio_auth_token")
    )
    twilio_from_number: str | None = Field(
        None, validation_alias=_env("TWILIO_FROM_NUMBER", "twilio_from_number")
    )

    @model_validator(mode="before")
    @classmethod
    def _split_lists(cls, values: dict[str, object]) -> dict[str, object]:
        for key in ("KLEARKARMA_CORS_ORIGINS", "cors_origins"):
            raw = values.get(key)
            if isinstance(raw, str):
                values[key] = [part.strip() for part in raw.split(",") if part.strip()]
        return values

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env == "production":
            secret = self.secret_key.get_secret_value()
            if secret == DEFAULT_SECRET_KEY or len(secret) < 32:
                raise ValueError(
                    "KLEARKARMA_SECRET_KEY must be a random secret of at least 32 characters "
                    "in production"
                )
            if self.database_url is None:
                raise ValueError("DATABASE_URL must be set in production (no embedded database)")
            needed = {
                "sandbox": ["a real gateway (KLEARKARMA_PAYMENT_GATEWAY=stripe or razorpay)"],
                "stripe": [
                    name.upper()
                    for name in ("stripe_secret_key", "stripe_webhook_secret")
                    if getattr(self, name) is None
                ],
                "razorpay": [
                    name.upper()
                    for name in (
                        "razorpay_key_id",
                        "razorpay_key_secret",
                        "razorpay_webhook_secret",
                    )
                    if getattr(self, name) is None
                ],
            }[self.payment_gateway]
            if needed:
                raise ValueError("production payments need " + ", ".join(needed))
        for name in ("rate_limit_auth", "rate_limit_write", "rate_limit_read"):
            parse_rate(getattr(self, name))
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def worker_in_process(self) -> bool:
        """Run jobs inside `serve` unless told otherwise: one process suffices in development."""
        if self.run_worker is not None:
            return self.run_worker
        return self.env == "development"

    @property
    def password_rounds(self) -> int:
        if self.bcrypt_rounds is not None:
            return self.bcrypt_rounds
        return 4 if self.env == "test" else 12

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "files"


def parse_rate(value: str) -> tuple[int, float]:
    """Parse "requests/seconds" (e.g. "20/60") into a (limit, window) pair."""
    try:
        requests, seconds = value.split("/", 1)
        limit, window = int(requests), float(seconds)
    except ValueError as exc:
        raise ValueError(
            f"rate limit {value!r} must look like 'requests/seconds', e.g. '20/60'"
        ) from exc
    if limit < 1 or not math.isfinite(window) or window <= 0:
        raise ValueError(
            f"rate limit {value!r} must allow at least one request in a positive window"
        )
    return limit, window
