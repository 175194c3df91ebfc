"""The SMS channel: phone normalisation, the dev outbox, the Twilio adapter at its HTTP boundary."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from pydantic import SecretStr
from sqlalchemy import select, text
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient

from klearkarma.core.cache import CacheBackend
from klearkarma.core.db import Database
from klearkarma.notifications.models import DevSms
from klearkarma.notifications.service import erase_recipient, queue_sms
from klearkarma.notifications.sms import (
    DatabaseSmsOutbox,
    SmsMessage,
    TwilioSms,
    build_sms_sender,
    normalize_phone,
)
from klearkarma.platform import Platform
from tests.conftest import client_for, make_settings

SID, TOKEN = "AC" + "1" * 32, "auth-token-123"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+91 98765 43210", "+919876543210"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("+44.20.7946.0958", "+442079460958"),
    ],
)
def test_numbers_normalise_to_e164(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["9876543210", "+0123456789", "+12", "+91 98765 ABCDE", ""])
def test_non_e164_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match=r"E\.164"):
        normalize_phone(raw)


class _Recorder(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []
    answer: tuple[int, bytes] = (201, b"{}")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).requests.append(
            {
                "path": self.path,
                "form": parse_qs(body.decode()),
                "auth": self.headers["Authorization"],
            }
        )
        status, payload = type(self).answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def twilio_api() -> Iterator[str]:
    _Recorder.requests = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def local_client(base: str) -> TwilioHttpClient:
    class Local(TwilioHttpClient):  # type: ignore[misc]
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            return super().request(
                method, url.replace("https://api.twilio.com", base), *args, **kwargs
            )

    return Local()


MESSAGE = (
    b'{"sid": "SM0123", "status": "queued", "to": "+919876543210", "from": "+15005550006", '
    b'"body": "hello", "account_sid": "' + SID.encode() + b'", "api_version": "2010-04-01", '
    b'"num_segments": "1", "direction": "outbound-api", "date_created": null, "price": null, '
    b'"error_code": null, "error_message": null, '
    b'"uri": "/2010-04-01/Accounts/x/Messages/SM0123.json"}'
)


async def test_twilio_adapter_sends_the_real_request(twilio_api: str) -> None:
    _Recorder.answer = (201, MESSAGE)
    sender = TwilioSms(SID, TOKEN, "+15005550006")
    sender.client.http_client = local_client(twilio_api)

    await sender.send(SmsMessage(to="+919876543210", body="hello"))

    [request] = _Recorder.requests
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request["form"] == {"To": ["+919876543210"], "From": ["+15005550006"], "Body": ["hello"]}
    assert request["auth"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()


async def test_twilio_errors_raise_so_the_job_retries(twilio_api: str) -> None:
    _Recorder.answer = (
        400,
        b'{"code": 21211, "message": "The \'To\' number is not a valid phone number.", '
        b'"more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}',
    )
    sender = TwilioSms(SID, TOKEN, "+15005550006")
    sender.client.http_client = local_client(twilio_api)

    with pytest.raises(TwilioRestException) as raised:
        await sender.send(SmsMessage(to="+10000000000", body="x"))
    assert raised.value.code == 21211


async def test_outbox_stores_texts(db: Database) -> None:
    await DatabaseSmsOutbox(db).send(SmsMessage(to="+91 98765 00000", body="code 123456"))

    async with db.session_factory() as session:
        [row] = (await session.scalars(select(DevSms))).all()
    assert (row.recipient, row.body) == ("+919876500000", "code 123456")


def test_sender_follows_configuration(tmp_path: Path, database_url: str, db: Database) -> None:
    plain = make_settings(tmp_path, database_url)
    twilio = make_settings(
        tmp_path,
        database_url,
        twilio_account_sid=SID,
        twilio_auth_token=SecretStr(TOKEN),
        twilio_from_number="+15005550006",
    )
    assert isinstance(build_sms_sender(plain, db), DatabaseSmsOutbox)
    assert isinstance(build_sms_sender(twilio, db), TwilioSms)


async def test_queued_text_lives_and_dies_with_its_transaction(db: Database) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with db.transaction() as session:
            await queue_sms(session, SmsMessage(to="+919876500001", body="ghost"))
            raise Abort
    async with db.transaction() as session:
        await queue_sms(session, SmsMessage(to="+919876500002", body="real"))
        rows = await session.execute(
            text(
                "SELECT args->>'to' FROM procrastinate_jobs "
                "WHERE task_name = 'notifications.send_sms'"
            )
        )
    assert [r[0] for r in rows] == ["+919876500002"]


async def test_dev_sms_page_only_in_development(
    tmp_path: Path, database_url: str, db: Database, cache: CacheBackend, platform: Platform
) -> None:
    await DatabaseSmsOutbox(db).send(SmsMessage(to="+919876500003", body="hi"))
    development = Platform.build(
        make_settings(tmp_path, database_url, env="development"),
        database_url=database_url,
        db=db,
        cache=cache,
    )
    async with client_for(development) as dev, client_for(platform) as test:
        listed = await dev.get("/dev/sms", params={"to": "+919876500003"})
        hidden = await test.get("/dev/sms")

    assert [m["body"] for m in listed.json()["data"]] == ["hi"]
    assert hidden.status_code == 404


async def test_erasure_forgets_what_was_sent(db: Database) -> None:
    await DatabaseSmsOutbox(db).send(SmsMessage(to="+919876500004", body="mine"))
    await DatabaseSmsOutbox(db).send(SmsMessage(to="+919876500005", body="someone else's"))

    async with db.transaction() as session:
        await erase_recipient(session, email=None, phone="+919876500004")
    async with db.session_factory() as session:
        left = (await session.scalars(select(DevSms.body))).all()
    assert left == ["someone else's"]
