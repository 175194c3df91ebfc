"""``/dev/mailbox`` (development only) and the rule that an email is queued inside a transaction."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from klearkarma.core.cache import CacheBackend
from klearkarma.core.db import Database
from klearkarma.notifications.mailer import Email
from klearkarma.notifications.service import queue_email
from klearkarma.platform import Platform
from tests.conftest import client_for, make_settings, production_settings

JSON = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SENDER = "Klear Karma <no-reply@klearkarma.local>"

OLDER = Email(
    to=["Alice@Example.com"],
    subject="Verify your email",
    text="Open https://klearkarma.local/verify?token=abc",
    html="<p>Verify</p>",
)
NEWER = Email(
    to=["bob@example.com", "alice@example.com"],
    subject="<script>alert('x')</script> & welcome",
    text="Hi <b>Bob</b> & Alice",
)


class Abort(Exception):
    pass


@pytest.fixture
async def dev_platform(
    tmp_path: Path, database_url: str, db: Database, cache: CacheBackend
) -> Platform:
    settings = make_settings(tmp_path, database_url, env="development")
    return Platform.build(settings, database_url=database_url, db=db, cache=cache)


@pytest.fixture
async def dev_client(dev_platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(dev_platform) as http:
        yield http


async def catch_two_messages(platform: Platform) -> None:
    await platform.mailer.send(OLDER)
    # Both rows share the test transaction's now(), so the order falls back to the UUIDv7 ids,
    # which are only ordered across milliseconds.
    await asyncio.sleep(0.005)
    await platform.mailer.send(NEWER)


def assert_not_found(response: httpx.Response) -> None:
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "NOT_FOUND"
    assert "data" not in body


# --- /dev/mailbox in development ------------------------------------------------------------------


async def test_mailbox_lists_caught_mail_newest_first(
    dev_platform: Platform, dev_client: httpx.AsyncClient
) -> None:
    # given
    await catch_two_messages(dev_platform)

    # when
    response = await dev_client.get("/dev/mailbox", headers=JSON)

    # then
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["success"] is True
    assert body["meta"]["pagination"] == {"page": 1, "limit": 20, "total": 2, "totalPages": 1}
    newer, older = body["data"]
    assert set(newer) == {
        "id",
        "sender",
        "recipients",
        "subject",
        "textBody",
        "htmlBody",
        "createdAt",
    }
    assert {k: v for k, v in newer.items() if k not in ("id", "createdAt")} == {
        "sender": SENDER,
        "recipients": ["bob@example.com", "alice@example.com"],
        "subject": "<script>alert('x')</script> & welcome",
        "textBody": "Hi <b>Bob</b> & Alice",
        "htmlBody": None,
    }
    assert {k: v for k, v in older.items() if k not in ("id", "createdAt")} == {
        "sender": SENDER,
        "recipients": ["alice@example.com"],
        "subject": "Verify your email",
        "textBody": "Open https://klearkarma.local/verify?token=abc",
        "htmlBody": "<p>Verify</p>",
    }
    assert uuid.UUID(newer["id"]) != uuid.UUID(older["id"])
    assert newer["createdAt"] >= older["createdAt"]


async def test_mailbox_filters_by_recipient_case_insensitively(
    dev_platform: Platform, dev_client: httpx.AsyncClient
) -> None:
    await catch_two_messages(dev_platform)

    only_bob = await dev_client.get("/dev/mailbox", params={"to": "BOB@example.com"}, headers=JSON)
    both = await dev_client.get("/dev/mailbox", params={"to": "alice@example.com"}, headers=JSON)
    nobody = await dev_client.get("/dev/mailbox", params={"to": "eve@example.com"}, headers=JSON)

    assert only_bob.status_code == 200
    assert [m["subject"] for m in only_bob.json()["data"]] == [NEWER.subject]
    assert only_bob.json()["meta"]["pagination"]["total"] == 1
    assert [m["subject"] for m in both.json()["data"]] == [NEWER.subject, OLDER.subject]
    assert nobody.json()["data"] == []
    assert nobody.json()["meta"]["pagination"] == {
        "page": 1,
        "limit": 20,
        "total": 0,
        "totalPages": 0,
    }


async def test_mailbox_pages_through_messages(
    dev_platform: Platform, dev_client: httpx.AsyncClient
) -> None:
    await catch_two_messages(dev_platform)

    response = await dev_client.get("/dev/mailbox", params={"page": 2, "limit": 1}, headers=JSON)

    assert response.status_code == 200
    body = response.json()
    assert [m["subject"] for m in body["data"]] == [OLDER.subject]
    assert body["meta"]["pagination"] == {"page": 2, "limit": 1, "total": 2, "totalPages": 2}


async def test_one_message_by_id(dev_platform: Platform, dev_client: httpx.AsyncClient) -> None:
    await catch_two_messages(dev_platform)
    listed = (await dev_client.get("/dev/mailbox", headers=JSON)).json()["data"]

    response = await dev_client.get(f"/dev/mailbox/{listed[1]['id']}", headers=JSON)

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["data"] == listed[1]
    assert "pagination" not in body["meta"]


async def test_unknown_message_id_is_not_found(
    dev_platform: Platform, dev_client: httpx.AsyncClient
) -> None:
    await catch_two_messages(dev_platform)

    response = await dev_client.get(f"/dev/mailbox/{uuid.uuid4()}", headers=JSON)

    assert_not_found(response)


async def test_malformed_message_id_is_a_validation_error(dev_client: httpx.AsyncClient) -> None:
    response = await dev_client.get("/dev/mailbox/not-a-uuid", headers=JSON)

    assert response.status_code == 422
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert [detail["field"] for detail in body["error"]["details"]] == ["mail_id"]


async def test_browsers_get_a_page_with_escaped_content(
    dev_platform: Platform, dev_client: httpx.AsyncClient
) -> None:
    # given: a subject and body carrying markup
    await catch_two_messages(dev_platform)

    # when
    response = await dev_client.get("/dev/mailbox", headers=BROWSER)

    # then
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert page.startswith("<!doctype html>")
    assert "<h2>Verify your email</h2>" in page
    assert "<h2>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; welcome</h2>" in page
    assert "<pre>Hi &lt;b&gt;Bob&lt;/b&gt; &amp; Alice</pre>" in page
    assert "To bob@example.com, alice@example.com" in page
    assert "<script>" not in page
    assert "<b>Bob</b>" not in page
    assert page.index("&lt;script&gt;") < page.index("Verify your email")  # newest first


async def test_empty_mailbox_page_says_so(dev_client: httpx.AsyncClient) -> None:
    response = await dev_client.get("/dev/mailbox", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "<li>No messages yet.</li>" in response.text


async def test_json_wins_when_a_client_accepts_both(
    dev_platform: Platform, dev_client: httpx.AsyncClient
) -> None:
    await catch_two_messages(dev_platform)

    response = await dev_client.get(
        "/dev/mailbox", headers={"Accept": "text/html, application/json"}
    )

    assert response.headers["content-type"] == "application/json"
    assert len(response.json()["data"]) == 2


# --- absent outside development -------------------------------------------------------------------


async def test_mailbox_does_not_exist_in_the_test_environment(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    # given: mail was caught, so only the missing route can explain a 404
    await catch_two_messages(platform)

    listing = await client.get("/dev/mailbox", headers=JSON)
    page = await client.get("/dev/mailbox", headers=BROWSER)
    one = await client.get(f"/dev/mailbox/{uuid.uuid4()}", headers=JSON)

    assert platform.settings.env == "test"
    assert_not_found(listing)
    assert_not_found(one)
    # A browser asking for a page that does not exist gets the web app's HTML 404 page.
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


async def test_mailbox_does_not_exist_in_production(
    tmp_path: Path, database_url: str, db: Database, cache: CacheBackend
) -> None:
    settings = production_settings(tmp_path, database_url)
    production = Platform.build(settings, database_url=database_url, db=db, cache=cache)

    async with client_for(production) as http:
        response = await http.get("/dev/mailbox", headers=JSON)
    await production.gateway.aclose()

    assert_not_found(response)


# --- an email is queued inside a transaction ------------------------------------------------------

JOB_SQL = text(
    "SELECT task_name, status::text, queue_name, args FROM procrastinate_jobs WHERE id = :id"
)


async def test_queued_email_becomes_a_job_of_its_transaction(db: Database) -> None:
    # given
    message = Email(
        to=["alice@example.com"],
        subject="Booking confirmed",
        text="See you",
        html="<p>See you</p>",
        reply_to="support@klearkarma.local",
    )

    # when
    async with db.transaction() as session:
        job_id = await queue_email(session, message)

    # then
    async with db.session_factory() as session:
        rows = (await session.execute(JOB_SQL, {"id": job_id})).all()
        caught = await session.scalar(text("SELECT count(*) FROM dev_mailbox"))
    assert [tuple(row) for row in rows] == [
        (
            "notifications.send_email",
            "todo",
            "email",
            {
                "to": ["alice@example.com"],
                "subject": "Booking confirmed",
                "text": "See you",
                "html": "<p>See you</p>",
                "reply_to": "support@klearkarma.local",
                "headers": {},
            },
        )
    ]
    assert caught == 0  # queued, not sent: only a worker delivers


async def test_email_of_a_failed_transaction_is_never_queued(db: Database) -> None:
    # given: the job exists while its transaction is open
    with pytest.raises(Abort):
        async with db.transaction() as session:
            job_id = await queue_email(
                session, Email(to=["ghost@example.com"], subject="ghost", text="x")
            )
            visible_inside = (await session.execute(JOB_SQL, {"id": job_id})).all()
            # when: the change that caused it fails
            raise Abort

    # then: the job went with it
    async with db.session_factory() as session:
        after = (await session.execute(JOB_SQL, {"id": job_id})).all()
        ghosts = await session.scalar(
            text("SELECT count(*) FROM procrastinate_jobs WHERE args->>'subject' = 'ghost'")
        )
    assert [(row.task_name, row.status) for row in visible_inside] == [
        ("notifications.send_email", "todo")
    ]
    assert after == []
    assert ghosts == 0
