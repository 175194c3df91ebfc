"""The SMS channel: phone numbers, the Twilio adapter at its HTTP boundary, the dev outbox, the job,
``/dev/sms`` and erasure.

Twilio is never called and its SDK never mocked: a local HTTP server answers with recorded Twilio
responses, and the real SDK builds and sends the real request to it.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import requests
from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

from klearkarma.core.cache import CacheBackend
from klearkarma.core.db import Database
from klearkarma.core.jobs import Worker
from klearkarma.notifications.mailer import DatabaseMailbox, Email
from klearkarma.notifications.models import DevMail, DevSms
from klearkarma.notifications.service import erase_recipient, queue_email, queue_sms
from klearkarma.notifications.sms import (
    DatabaseSmsOutbox,
    SmsMessage,
    TwilioSms,
    build_sms_sender,
    normalize_phone,
)
from klearkarma.platform import Platform
from tests.conftest import client_for, make_settings

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "f" * 32
FROM = "+15005550006"
TWILIO = "https://api.twilio.com"


class Abort(Exception):
    pass


# --- normalize_phone ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+919876543210", "+919876543210"),
        ("+91 98765 43210", "+919876543210"),
        ("+91-98765-43210", "+919876543210"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("+1.415.555.0100", "+14155550100"),
        ("  +44 20 7946 0958\t", "+442079460958"),
        ("+123456789012345", "+123456789012345"),  # 15 digits: E.164's maximum
    ],
)
def test_numbers_normalise_to_e164(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "9876543210",  # no country code
        "919876543210",  # no plus
        "+0123456789",  # country codes never start with 0
        "+12",  # too short
        "+1234567",  # 7 digits: still too short
        "+1234567890123456",  # 16 digits: too long
        "+91 98765 ABCDE",  # letters
        "+91 98765/43210",  # a separator we do not strip
        "",
    ],
)
def test_non_e164_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match=r"E\.164"):
        normalize_phone(raw)


# --- TwilioSms against a recorded Twilio ----------------------------------------------------------


@dataclass
class Recorded:
    method: str
    path: str
    form: dict[str, list[str]]
    authorization: str | None
    content_type: str | None


@dataclass
class FakeTwilio:
    """A local HTTP server that records requests and plays back one recorded Twilio response."""

    url: str
    requests: list[Recorded] = field(default_factory=list)
    answer: tuple[int, dict[str, Any]] = (500, {})


def recorded_message(to: str, body: str) -> dict[str, Any]:
    """What Twilio answered to a Messages create (trimmed of the subresource URIs)."""
    return {
        "account_sid": SID,
        "api_version": "2010-04-01",
        "body": body,
        "date_created": "Tue, 24 Nov 2026 17:00:00 +0000",
        "date_sent": None,
        "date_updated": "Tue, 24 Nov 2026 17:00:00 +0000",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": FROM,
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": "SM" + "4" * 32,
        "status": "queued",
        "to": to,
        "uri": f"/2010-04-01/Accounts/{SID}/Messages/SM{'4' * 32}.json",
    }


INVALID_TO = {
    "code": 21211,
    "message": "The 'To' number +10000000000 is not a valid phone number.",
    "more_info": "https://www.twilio.com/docs/errors/21211",
    "status": 400,
}


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            fake.requests.append(
                Recorded(
                    method=self.command,
                    path=self.path,
                    form=parse_qs(body),
                    authorization=self.headers.get("Authorization"),
                    content_type=self.headers.get("Content-Type"),
                )
            )
            status, payload = fake.answer
            encoded = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output clean

    server = HTTPServer(("127.0.0.1", 0), Handler)
    fake = FakeTwilio(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(5)


class LocalHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """The SDK's own HTTP client, sending to ``base`` what it would have sent to Twilio."""

    def __init__(self, base: str) -> None:
        super().__init__(timeout=5)
        self.base = base

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        assert url.startswith(TWILIO), url  # the SDK still aims at the real API
        return super().request(method, self.base + url.removeprefix(TWILIO), *args, **kwargs)


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_twilio_sender_posts_the_message_to_the_messages_resource(
    twilio: FakeTwilio,
) -> None:
    # given: Twilio accepts the message
    twilio.answer = (201, recorded_message("+919876543210", "Your code is 123456"))
    sender = TwilioSms(SID, TOKEN, FROM, http_client=LocalHttpClient(twilio.url))

    # when
    await sender.send(SmsMessage(to="+919876543210", body="Your code is 123456"))

    # then: exactly one authenticated form POST to the account's Messages.json
    [request] = twilio.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request.content_type == "application/x-www-form-urlencoded"
    assert request.form == {
        "To": ["+919876543210"],
        "From": [FROM],
        "Body": ["Your code is 123456"],
    }
    assert request.authorization == basic_auth(SID, TOKEN)


async def test_base_url_sends_the_same_request_elsewhere(twilio: FakeTwilio) -> None:
    twilio.answer = (201, recorded_message("+14155550100", "hello & namaste 🙏"))
    sender = TwilioSms(SID, TOKEN, FROM, base_url=twilio.url + "/")

    await sender.send(SmsMessage(to="+14155550100", body="hello & namaste 🙏"))

    [request] = twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request.form["Body"] == ["hello & namaste 🙏"]
    assert request.authorization == basic_auth(SID, TOKEN)


async def test_twilio_refusal_raises_so_the_job_is_retried(twilio: FakeTwilio) -> None:
    # given: Twilio's recorded answer to an invalid 'To'
    twilio.answer = (400, INVALID_TO)
    sender = TwilioSms(SID, TOKEN, FROM, http_client=LocalHttpClient(twilio.url))

    # when / then
    with pytest.raises(TwilioRestException) as raised:
        await sender.send(SmsMessage(to="+10000000000", body="x"))
    assert raised.value.status == 400
    assert raised.value.code == 21211
    assert "not a valid phone number" in raised.value.msg
    assert len(twilio.requests) == 1


async def test_unreachable_twilio_raises_so_the_job_is_retried() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sender = TwilioSms(SID, TOKEN, FROM, base_url=f"http://127.0.0.1:{port}")

    with pytest.raises(requests.ConnectionError):
        await sender.send(SmsMessage(to="+919876543210", body="later"))


def test_the_default_http_client_has_a_timeout() -> None:
    sender = TwilioSms(SID, TOKEN, FROM)

    assert isinstance(sender.client.http_client, TwilioHttpClient)
    assert sender.client.http_client.timeout == 30


# --- the dev outbox and choosing the sender -------------------------------------------------------


async def test_outbox_stores_texts_with_the_normalised_number(db: Database) -> None:
    await DatabaseSmsOutbox(db).send(SmsMessage(to="+91 98765-00000", body="code 123456"))

    async with db.session_factory() as session:
        rows = list(await session.scalars(select(DevSms)))
    assert [(row.recipient, row.body) for row in rows] == [("+919876500000", "code 123456")]
    assert rows[0].created_at.tzinfo is not None


async def test_outbox_refuses_a_number_twilio_would_refuse(db: Database) -> None:
    with pytest.raises(ValueError, match=r"E\.164"):
        await DatabaseSmsOutbox(db).send(SmsMessage(to="12345", body="x"))

    async with db.session_factory() as session:
        assert await session.scalar(text("SELECT count(*) FROM dev_sms_outbox")) == 0


def test_full_twilio_settings_select_twilio(
    tmp_path: Path, database_url: str, db: Database
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        twilio_account_sid=SID,
        twilio_auth_token=SecretStr(TOKEN),
        twilio_from_number=FROM,
    )

    sender = build_sms_sender(settings, db)

    assert isinstance(sender, TwilioSms)
    assert sender.from_number == FROM
    assert (sender.client.username, sender.client.password) == (SID, TOKEN)


@pytest.mark.parametrize(
    "twilio_settings",
    [
        {},
        {"twilio_account_sid": SID, "twilio_auth_token": SecretStr(TOKEN)},  # no sender number
        {"twilio_account_sid": SID, "twilio_from_number": FROM},  # no token
        {
            "twilio_account_sid": SID,
            "twilio_auth_token": SecretStr(""),
            "twilio_from_number": FROM,
        },
    ],
)
def test_anything_less_falls_back_to_the_outbox(
    tmp_path: Path, database_url: str, db: Database, twilio_settings: dict[str, object]
) -> None:
    settings = make_settings(tmp_path, database_url, **twilio_settings)

    sender = build_sms_sender(settings, db)

    assert isinstance(sender, DatabaseSmsOutbox)
    assert sender.db is db


def test_the_platform_texts_through_the_outbox_in_tests(platform: Platform) -> None:
    assert isinstance(platform.sms, DatabaseSmsOutbox)


# --- queue_sms and the job ------------------------------------------------------------------------


async def sms_jobs(session: AsyncSession) -> list[tuple[str, str, dict[str, object]]]:
    rows = await session.execute(
        text(
            "SELECT queue_name, status::text, args FROM procrastinate_jobs "
            "WHERE task_name = 'notifications.send_sms' ORDER BY id"
        )
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def test_queued_text_exists_only_with_its_transaction(db: Database) -> None:
    # given: a text queued in a transaction that is then rolled back
    with pytest.raises(Abort):
        async with db.transaction() as session:
            job_id = await queue_sms(session, SmsMessage(to="+91 98765 00001", body="ghost"))

            # then: inside it, the job is there, with the normalised number
            assert job_id > 0
            assert await sms_jobs(session) == [
                ("sms", "todo", {"to": "+919876500001", "body": "ghost"})
            ]
            raise Abort

    # and after the rollback it never existed
    async with db.transaction() as session:
        assert await sms_jobs(session) == []


async def test_a_bad_number_fails_the_caller_not_the_job(db: Database) -> None:
    async with db.transaction() as session:
        with pytest.raises(ValueError, match=r"E\.164"):
            await queue_sms(session, SmsMessage(to="98765", body="x"))
        assert await sms_jobs(session) == []


async def test_the_worker_delivers_a_committed_text(committed_platform: Platform) -> None:
    platform = committed_platform
    async with platform.db.transaction() as session:
        await queue_sms(session, SmsMessage(to="+919876500009", body="Your code is 424242"))
    async with platform.db.transaction() as session:
        caught = await session.scalar(text("SELECT count(*) FROM dev_sms_outbox"))
    assert caught == 0  # nothing leaves before a worker runs

    await Worker(platform, concurrency=1, queues=["sms"]).run(
        wait=False, install_signal_handlers=False
    )

    async with platform.db.transaction() as session:
        texts = [(r.recipient, r.body) for r in await session.scalars(select(DevSms))]
        statuses = [status for _, status, _ in await sms_jobs(session)]
    assert texts == [("+919876500009", "Your code is 424242")]
    assert statuses == ["succeeded"]


# --- /dev/sms -------------------------------------------------------------------------------------


@pytest.fixture
async def dev_client(
    tmp_path: Path, database_url: str, db: Database, cache: CacheBackend
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(tmp_path, database_url, env="development")
    development = Platform.build(settings, database_url=database_url, db=db, cache=cache)
    async with client_for(development) as http:
        yield http


async def catch_three_texts(db: Database) -> None:
    outbox = DatabaseSmsOutbox(db)
    await outbox.send(SmsMessage(to="+919876500003", body="first"))
    await outbox.send(SmsMessage(to="+14155550100", body="second"))
    await outbox.send(SmsMessage(to="+919876500003", body="third"))


async def test_dev_sms_lists_caught_texts_newest_first(
    db: Database, dev_client: httpx.AsyncClient
) -> None:
    await catch_three_texts(db)

    response = await dev_client.get("/dev/sms")

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert [(m["recipient"], m["body"]) for m in body["data"]] == [
        ("+919876500003", "third"),
        ("+14155550100", "second"),
        ("+919876500003", "first"),
    ]
    assert set(body["data"][0]) == {"id", "recipient", "body", "createdAt"}
    assert body["meta"]["pagination"] == {"page": 1, "limit": 20, "total": 3, "totalPages": 1}


@pytest.mark.parametrize(
    "to",
    [
        "+919876500003",
        "+91 98765 00003",
        " 919876500003",  # '?to=+91…' typed into a browser: the '+' arrives as a space
    ],
)
async def test_dev_sms_filters_by_number(
    db: Database, dev_client: httpx.AsyncClient, to: str
) -> None:
    await catch_three_texts(db)

    response = await dev_client.get("/dev/sms", params={"to": to})

    assert response.status_code == 200
    assert [m["body"] for m in response.json()["data"]] == ["third", "first"]
    assert response.json()["meta"]["pagination"]["total"] == 2


async def test_dev_sms_pages(db: Database, dev_client: httpx.AsyncClient) -> None:
    await catch_three_texts(db)

    response = await dev_client.get("/dev/sms", params={"page": 2, "limit": 2})

    assert [m["body"] for m in response.json()["data"]] == ["first"]
    assert response.json()["meta"]["pagination"] == {
        "page": 2,
        "limit": 2,
        "total": 3,
        "totalPages": 2,
    }


async def test_dev_sms_does_not_exist_outside_development(
    db: Database, client: httpx.AsyncClient
) -> None:
    await catch_three_texts(db)

    response = await client.get("/dev/sms")

    assert response.status_code == 404
    assert response.json()["success"] is False
    assert "first" not in response.text


# --- erase_recipient ------------------------------------------------------------------------------

ERASED_EMAIL, ERASED_PHONE = "gone@example.com", "+919876500004"
OTHER_EMAIL, OTHER_PHONE = "stays@example.com", "+919876500005"


async def set_status(session: AsyncSession, job_id: int, *statuses: str) -> None:
    for status in statuses:  # one step at a time, as a worker would move it
        await session.execute(
            text(
                "UPDATE procrastinate_jobs "
                "SET status = CAST(:status AS procrastinate_job_status) WHERE id = :id"
            ),
            {"status": status, "id": job_id},
        )


async def remaining_jobs(session: AsyncSession) -> list[tuple[str, str, dict[str, object]]]:
    rows = await session.execute(
        text("SELECT task_name, status::text, args FROM procrastinate_jobs ORDER BY id")
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def test_erasure_forgets_exactly_what_was_sent_to_the_person(db: Database) -> None:
    # given: caught messages and jobs for the person, for someone else, and one being worked on
    mailbox = DatabaseMailbox(db, "Klear Karma <no-reply@klearkarma.local>")
    await mailbox.send(Email(to=["Gone@Example.com"], subject="verify", text="link"))
    await mailbox.send(Email(to=[OTHER_EMAIL, ERASED_EMAIL], subject="both", text="x"))
    await mailbox.send(Email(to=[OTHER_EMAIL], subject="other", text="x"))
    outbox = DatabaseSmsOutbox(db)
    await outbox.send(SmsMessage(to=ERASED_PHONE, body="code 111111"))
    await outbox.send(SmsMessage(to=OTHER_PHONE, body="code 222222"))
    async with db.transaction() as session:
        await queue_email(session, Email(to=[ERASED_EMAIL], subject="pending", text="x"))
        sent = await queue_email(session, Email(to=["GONE@example.com"], subject="sent", text="x"))
        await set_status(session, sent, "doing", "succeeded")
        running = await queue_email(session, Email(to=[ERASED_EMAIL], subject="now", text="x"))
        await set_status(session, running, "doing")
        await queue_email(session, Email(to=[OTHER_EMAIL], subject="theirs", text="x"))
        await queue_sms(session, SmsMessage(to=ERASED_PHONE, body="pending code"))
        failed = await queue_sms(session, SmsMessage(to=ERASED_PHONE, body="failed code"))
        await set_status(session, failed, "doing", "failed")
        await queue_sms(session, SmsMessage(to=OTHER_PHONE, body="their code"))

    # when: the number is given in another spelling
    async with db.transaction() as session:
        await erase_recipient(session, email=" GONE@example.com ", phone="+91 98765 00004")

    # then
    async with db.transaction() as session:
        subjects = list(await session.scalars(select(DevMail.subject).order_by(DevMail.subject)))
        texts = list(await session.scalars(select(DevSms.body)))
        jobs = await remaining_jobs(session)
    assert subjects == ["other"]
    assert texts == ["code 222222"]
    assert [(name, status, args["to"]) for name, status, args in jobs] == [
        ("notifications.send_email", "doing", [ERASED_EMAIL]),  # a worker holds it
        ("notifications.send_email", "todo", [OTHER_EMAIL]),
        ("notifications.send_sms", "todo", OTHER_PHONE),
    ]


async def test_erasure_touches_only_notification_jobs(db: Database) -> None:
    # given: a job of another task whose arguments happen to carry the same address and number
    async with db.transaction() as session:
        await session.execute(
            text(
                "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('default', 'other.task', 0, NULL, "
                "NULL, CAST(:args AS jsonb), NULL)::procrastinate_job_to_defer_v1])"
            ),
            {"args": json.dumps({"to": [ERASED_EMAIL]})},
        )
        await session.execute(
            text(
                "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('default', 'another.task', 0, NULL, "
                "NULL, CAST(:args AS jsonb), NULL)::procrastinate_job_to_defer_v1])"
            ),
            {"args": json.dumps({"to": ERASED_PHONE})},
        )

    async with db.transaction() as session:
        await erase_recipient(session, email=ERASED_EMAIL, phone=ERASED_PHONE)

    async with db.transaction() as session:
        assert [name for name, _, _ in await remaining_jobs(session)] == [
            "other.task",
            "another.task",
        ]


async def test_erasure_without_an_address_or_number_deletes_nothing(db: Database) -> None:
    await DatabaseSmsOutbox(db).send(SmsMessage(to=OTHER_PHONE, body="kept"))
    async with db.transaction() as session:
        await queue_email(session, Email(to=[OTHER_EMAIL], subject="kept", text="x"))

    async with db.transaction() as session:
        await erase_recipient(session, email=None, phone="")

    async with db.transaction() as session:
        assert list(await session.scalars(select(DevSms.body))) == ["kept"]
        assert len(await remaining_jobs(session)) == 1
