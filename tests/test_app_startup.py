"""`serve` start-up end to end: migrations, configured admin, demo data, in-process worker."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from klearkarma.app import create_app
from klearkarma.demo.loader import DEMO_PRACTITIONER_EMAIL, DEMO_SEEKER_EMAIL
from tests.conftest import make_settings


def scalar(url: str, sql: str) -> object:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as connection:
        value = connection.execute(text(sql)).scalar_one()
    engine.dispose()
    return value


async def test_start_up_loads_demo_data_admin_and_worker(
    tmp_path: Path, clean_database_url: str
) -> None:
    settings = make_settings(
        tmp_path,
        clean_database_url,
        env="development",
        demo_data=True,
        run_worker=True,
        admin_email="Boss@Example.com",
        admin_password="a-long-admin-password",
    )
    app = create_app(settings)

    async with LifespanManager(app, startup_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            health = await http.get("/v1/health")
            ready = await http.get("/v1/health/ready")
            listing = await http.get("/v1/practitioners", params={"limit": 5})
            bangalore = await http.get("/v1/practitioners", params={"city": "Bangalore"})
            slot_counts = []
            for item in listing.json()["data"]:
                profile = (await http.get(f"/v1/practitioners/{item['id']}")).json()["data"]
                answer = await http.get(
                    f"/v1/practitioners/{item['id']}/availability",
                    params={"serviceId": profile["services"][0]["id"], "timezone": "Asia/Kolkata"},
                )
                assert answer.status_code == 200, answer.text
                slot_counts.append(len(answer.json()["data"]["slots"]))
        worker_running = app.state.platform.worker is not None

    assert health.json()["data"]["environment"] == "development"
    assert ready.status_code == 200
    assert ready.json()["data"]["checks"]["queue"]["inProcessWorker"] is True
    assert worker_running
    body = listing.json()
    assert body["meta"]["pagination"]["total"] > 50
    assert len(body["data"]) == 5
    assert all(item["verificationStatus"] == "verified" for item in body["data"])
    assert sum(slot_counts) > 0  # the demo calendars parse and offer real slots
    assert "Ananya Rao" in [item["displayName"] for item in bangalore.json()["data"]] or (
        bangalore.json()["meta"]["pagination"]["total"] > 20
    )
    assert (
        scalar(clean_database_url, "SELECT user_type FROM users WHERE email = 'boss@example.com'")
        == "admin"
    )
    for email in (DEMO_SEEKER_EMAIL, DEMO_PRACTITIONER_EMAIL):
        assert (
            scalar(clean_database_url, f"SELECT count(*) FROM users WHERE email = '{email}'") == 1
        )
    assert scalar(clean_database_url, "SELECT count(*) FROM reviews") > 0
    # Demo money: paid sessions with receipts, one refund, payouts, and books that balance.
    assert scalar(clean_database_url, "SELECT count(*) FROM payments") > 50
    assert scalar(clean_database_url, "SELECT count(*) FROM refunds") >= 1
    assert scalar(clean_database_url, "SELECT count(*) FROM payouts WHERE status = 'paid'") > 0
    assert (
        scalar(
            clean_database_url,
            "SELECT count(DISTINCT p.status) FROM payments p JOIN users u ON u.id = p.payer_id "
            f"WHERE u.email = '{DEMO_SEEKER_EMAIL}'",
        )
        == 2
    )  # completed and refunded
    assert scalar(clean_database_url, "SELECT coalesce(sum(amount), 0) FROM ledger_entries") == 0


async def test_demo_data_is_loaded_only_into_an_empty_marketplace(
    tmp_path: Path, clean_database_url: str
) -> None:
    settings = make_settings(tmp_path, clean_database_url, demo_data=True)

    for _ in range(2):
        async with LifespanManager(create_app(settings), startup_timeout=60):
            pass

    assert (
        scalar(
            clean_database_url, f"SELECT count(*) FROM users WHERE email = '{DEMO_SEEKER_EMAIL}'"
        )
        == 1
    )
    practitioners = scalar(clean_database_url, "SELECT count(*) FROM practitioners")
    assert practitioners == 121


@pytest.mark.parametrize("secret", [None, "short"])
def test_production_refuses_to_start_without_a_strong_secret(
    secret: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic import ValidationError

    from klearkarma.config import Settings

    monkeypatch.setenv("KLEARKARMA_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/klearkarma")
    if secret is None:
        monkeypatch.delenv("KLEARKARMA_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("KLEARKARMA_SECRET_KEY", secret)

    with pytest.raises(ValidationError, match="KLEARKARMA_SECRET_KEY"):
        create_app(Settings())


async def test_not_ready_when_the_read_pool_cannot_reach_its_database(
    tmp_path: Path, clean_database_url: str
) -> None:
    # Search reads from KLEARKARMA_READS_DATABASE_URL (a replica in production): when that is
    # unreachable, search is down, so the replica must not be sent traffic.
    unreachable = make_url(clean_database_url).set(port=1).render_as_string(False)
    app = create_app(make_settings(tmp_path, clean_database_url, reads_database_url=unreachable))

    async with LifespanManager(app, startup_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            ready = await http.get("/v1/health/ready")
            search = await http.get("/v1/search/practitioners", params={"q": "yoga"})

    assert ready.status_code == 503
    checks = ready.json()["error"]["details"]
    assert checks["database"]["ok"] is False
    assert checks["cache"]["ok"] is True
    assert search.status_code == 503
    assert search.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
