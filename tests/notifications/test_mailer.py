"""Email delivery: SMTP to a real local server, the database mailbox, and the choice between."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage, MIMEPart
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select, text

from klearkarma.core.db import Database
from klearkarma.core.jobs import Worker
from klearkarma.notifications.mailer import (
    DatabaseMailbox,
    Email,
    SmtpConfig,
    SmtpMailer,
)
from klearkarma.notifications.models import DevMail
from klearkarma.notifications.service import queue_email
from klearkarma.platform import Platform, build_mailer
from tests.conftest import make_settings as make_settings

# The AUTH servers below allow login without TLS, which aiosmtpd rightly warns about.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

SENDER = "Klear Karma <no-reply@klearkarma.local>"
SMTP_USER = "mailer"
SMTP_PASSWORD = "s3cret@pass"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that keeps every delivered envelope."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 Message accepted for delivery"


@dataclass
class Authenticator:
    """Accepts exactly one login and remembers every attempt."""

    attempts: list[tuple[str, bytes]] = field(default_factory=list)

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.attempts.append((mechanism, auth_data.login))
        ok = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode()
        # handled=False: the server itself answers (235, or 535 on a failure).
        return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingHandler
    authenticator: Authenticator | None


def body_of(part: MIMEPart) -> str:
    """A part's decoded text, with SMTP's CRLF line ends turned back into newlines."""
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(*, auth: bool) -> Iterator[SmtpServer]:
    handler = RecordingHandler()
    authenticator = Authenticator() if auth else None
    port = free_port()
    options: dict[str, Any] = {}
    if authenticator is not None:
        options = {"authenticator": authenticator, "auth_require_tls": False, "auth_required": True}
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler, authenticator)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1, no authentication, no TLS."""
    yield from start_server(auth=False)


@pytest.fixture
def auth_smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server that requires AUTH (allowed over plain text, as a test shortcut)."""
    yield from start_server(auth=True)


def plain_config(server: SmtpServer, **overrides: Any) -> SmtpConfig:
    values: dict[str, Any] = {
        "hostname": server.host,
        "port": server.port,
        "username": None,
        "password": None,
        "use_tls": False,
        "start_tls": False,
        "timeout": 5.0,
    }
    values.update(overrides)
    return SmtpConfig(**values)


WELCOME = Email(
    to=["alice@example.com", "bob@example.com"],
    subject="Namaste — your session is booked 🧘",
    text="Hello Alice,\nSee you on Monday at 09:00.\n",
    html="<p>Hello Alice,</p><p>See you on <b>Monday</b> at 09:00.</p>\n",
    reply_to="Support <support@klearkarma.local>",
)


# --- SMTP -----------------------------------------------------------------------------------------


async def test_smtp_mailer_delivers_text_and_html_to_every_recipient(
    smtp_server: SmtpServer,
) -> None:
    # given
    mailer = SmtpMailer(plain_config(smtp_server), SENDER)

    # when
    await mailer.send(WELCOME)

    # then
    [received] = smtp_server.handler.received
    assert received.mail_from == "no-reply@klearkarma.local"
    assert received.rcpt_tos == ["alice@example.com", "bob@example.com"]
    message = received.message()
    assert message["From"] == SENDER
    assert message["To"] == "alice@example.com, bob@example.com"
    assert message["Subject"] == "Namaste — your session is booked 🧘"
    assert message["Reply-To"] == "Support <support@klearkarma.local>"
    assert re.fullmatch(r"<[^<>@\s]+@klearkarma\.local>", message["Message-ID"])
    assert message.get_content_type() == "multipart/alternative"
    parts = [(part.get_content_type(), body_of(part)) for part in message.iter_parts()]
    assert parts == [
        ("text/plain", "Hello Alice,\nSee you on Monday at 09:00.\n"),
        ("text/html", "<p>Hello Alice,</p><p>See you on <b>Monday</b> at 09:00.</p>\n"),
    ]


async def test_smtp_mailer_sends_plain_text_alone_when_there_is_no_html(
    smtp_server: SmtpServer,
) -> None:
    mailer = SmtpMailer(plain_config(smtp_server), SENDER)

    await mailer.send(Email(to=["carol@example.com"], subject="Receipt", text="Paid: 1500.00 INR"))

    [received] = smtp_server.handler.received
    assert received.rcpt_tos == ["carol@example.com"]
    message = received.message()
    assert message.get_content_type() == "text/plain"
    assert body_of(message) == "Paid: 1500.00 INR\n"
    assert message["Reply-To"] is None


async def test_every_message_gets_its_own_message_id(smtp_server: SmtpServer) -> None:
    mailer = SmtpMailer(plain_config(smtp_server), SENDER)

    await mailer.send(Email(to=["a@example.com"], subject="one", text="1"))
    await mailer.send(Email(to=["a@example.com"], subject="two", text="2"))

    ids = [received.message()["Message-ID"] for received in smtp_server.handler.received]
    assert len(ids) == 2
    assert ids[0] != ids[1]


async def test_smtp_mailer_logs_in_with_the_credentials_of_its_url(
    auth_smtp_server: SmtpServer,
) -> None:
    # given: the password carries an '@', percent-encoded in the URL
    url = (
        f"smtp://{SMTP_USER}:s3cret%40pass@{auth_smtp_server.host}:{auth_smtp_server.port}"
        "?starttls=false&timeout=5"
    )
    mailer = SmtpMailer(SmtpConfig.from_url(url), SENDER)

    # when
    await mailer.send(Email(to=["dave@example.com"], subject="Verify your email", text="link"))

    # then
    assert auth_smtp_server.authenticator is not None
    assert [login for _, login in auth_smtp_server.authenticator.attempts] == [b"mailer"]
    [received] = auth_smtp_server.handler.received
    assert received.rcpt_tos == ["dave@example.com"]
    assert received.message()["Subject"] == "Verify your email"


async def test_wrong_smtp_password_raises_and_delivers_nothing(
    auth_smtp_server: SmtpServer,
) -> None:
    mailer = SmtpMailer(
        plain_config(auth_smtp_server, username=SMTP_USER, password="wrong"), SENDER
    )

    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        await mailer.send(Email(to=["erin@example.com"], subject="never", text="x"))

    assert auth_smtp_server.authenticator is not None
    attempts = auth_smtp_server.authenticator.attempts
    assert attempts  # aiosmtplib may retry with another mechanism; every attempt failed
    assert {login for _, login in attempts} == {b"mailer"}
    assert auth_smtp_server.handler.received == []


async def test_missing_credentials_are_refused_by_a_server_requiring_auth(
    auth_smtp_server: SmtpServer,
) -> None:
    mailer = SmtpMailer(plain_config(auth_smtp_server), SENDER)

    with pytest.raises(aiosmtplib.SMTPResponseException) as raised:
        await mailer.send(Email(to=["frank@example.com"], subject="never", text="x"))

    assert raised.value.code == 530
    assert auth_smtp_server.handler.received == []


async def test_unreachable_smtp_server_raises_so_the_job_is_retried() -> None:
    mailer = SmtpMailer(SmtpConfig("127.0.0.1", free_port(), None, None, False, False, 2.0), SENDER)

    with pytest.raises(aiosmtplib.SMTPConnectError):
        await mailer.send(Email(to=["gina@example.com"], subject="later", text="x"))


# --- SmtpConfig.from_url --------------------------------------------------------------------------


def test_smtp_url_with_credentials_port_and_options() -> None:
    config = SmtpConfig.from_url("smtp://user:p%40ss@mail.example.com:2525?starttls=false")

    assert config == SmtpConfig(
        hostname="mail.example.com",
        port=2525,
        username="user",
        password="p@ss",
        use_tls=False,
        start_tls=False,
        timeout=30.0,
    )


def test_smtps_url_means_implicit_tls_on_port_465() -> None:
    config = SmtpConfig.from_url("smtps://mail.example.com")

    assert config == SmtpConfig(
        hostname="mail.example.com",
        port=465,
        username=None,
        password=None,
        use_tls=True,
        start_tls=None,
        timeout=30.0,
    )


def test_smtp_url_defaults_to_submission_port_and_opportunistic_starttls() -> None:
    config = SmtpConfig.from_url("smtp://mail.example.com?starttls=TRUE&timeout=7.5")

    assert (config.port, config.use_tls, config.start_tls, config.timeout) == (
        587,
        False,
        True,
        7.5,
    )
    assert SmtpConfig.from_url("smtp://mail.example.com").start_tls is None


@pytest.mark.parametrize(
    "url",
    [
        "smtp://",
        "smtp:///path",
        "smtp://user:pass@:2525",
        "http://mail.example.com",
        "mail.example.com:25",
        "",
        "smtps://mail.example.com?starttls=true",  # implicit TLS and STARTTLS cannot combine
        "smtp://mail.example.com?starttls=flase",  # a typo is an error, not a silent "off"
    ],
)
def test_malformed_smtp_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        SmtpConfig.from_url(url)


# --- DatabaseMailbox ------------------------------------------------------------------------------


async def test_database_mailbox_stores_the_message_with_lower_cased_recipients(
    db: Database,
) -> None:
    # given
    mailbox = DatabaseMailbox(db, SENDER)

    # when
    await mailbox.send(
        Email(
            to=[" Alice@Example.COM ", "bob@example.com"],
            subject="Reset your password",
            text="Use this link",
            html="<a href='x'>link</a>",
            reply_to="support@klearkarma.local",
        )
    )

    # then
    async with db.session_factory() as session:
        rows = list(await session.scalars(select(DevMail)))
    assert len(rows) == 1
    row = rows[0]
    assert row.sender == SENDER
    assert row.recipients == ["alice@example.com", "bob@example.com"]
    assert row.subject == "Reset your password"
    assert row.text_body == "Use this link"
    assert row.html_body == "<a href='x'>link</a>"
    assert row.created_at is not None
    assert row.created_at.tzinfo is not None


async def test_database_mailbox_keeps_a_missing_html_body_as_null(db: Database) -> None:
    await DatabaseMailbox(db, SENDER).send(Email(to=["a@example.com"], subject="s", text="t"))

    async with db.session_factory() as session:
        html = await session.scalar(text("SELECT html_body FROM dev_mailbox WHERE subject = 's'"))
        count = await session.scalar(text("SELECT count(*) FROM dev_mailbox"))
    assert html is None
    assert count == 1


# --- choosing the mailer --------------------------------------------------------------------------


async def test_smtp_url_selects_the_smtp_mailer(
    tmp_path: Path, database_url: str, db: Database
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        smtp_url="smtp://user:pw@mail.example.com:2525",
        mail_from="Ops <ops@example.com>",
    )

    mailer = build_mailer(settings, db)

    assert isinstance(mailer, SmtpMailer)
    assert mailer.sender == "Ops <ops@example.com>"
    assert mailer.config == SmtpConfig("mail.example.com", 2525, "user", "pw", False, None, 30.0)


async def test_without_smtp_url_mail_goes_to_the_database_mailbox(
    tmp_path: Path, database_url: str, db: Database
) -> None:
    settings = make_settings(tmp_path, database_url, smtp_url=None)

    mailer = build_mailer(settings, db)

    assert isinstance(mailer, DatabaseMailbox)
    assert mailer.db is db
    assert mailer.sender == settings.mail_from


async def test_queued_email_reaches_the_smtp_server_once_the_worker_runs(
    tmp_path: Path, clean_database_url: str, smtp_server: SmtpServer
) -> None:
    # given: a platform configured for SMTP, and an email queued in a committed transaction
    settings = make_settings(
        tmp_path,
        clean_database_url,
        smtp_url=f"smtp://{smtp_server.host}:{smtp_server.port}?starttls=false&timeout=5",
    )
    platform = Platform.build(settings, database_url=clean_database_url)
    try:
        async with platform.db.transaction() as session:
            await queue_email(session, WELCOME)
        assert smtp_server.handler.received == []  # nothing leaves before a worker runs

        # when
        await Worker(platform, concurrency=1).run(wait=False, install_signal_handlers=False)

        # then
        [received] = smtp_server.handler.received
        assert received.rcpt_tos == ["alice@example.com", "bob@example.com"]
        message = received.message()
        assert message["Subject"] == WELCOME.subject
        assert message["Reply-To"] == WELCOME.reply_to
        async with platform.db.transaction() as session:
            statuses = list(
                await session.scalars(
                    text(
                        "SELECT status::text FROM procrastinate_jobs "
                        "WHERE task_name = 'notifications.send_email'"
                    )
                )
            )
            caught = await session.scalar(text("SELECT count(*) FROM dev_mailbox"))
        assert statuses == ["succeeded"]
        assert caught == 0
    finally:
        await platform.close()
