"""E-mail: delivered to a real SMTP server on localhost, retried after failures, each message once."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from tests.conftest import Cast
from tests.test_notifications import LATER, flag_in, follow, run
from tracker.notify.mailer import Server, _claim, retry_delay, send_pending
from tracker.notify.models import OutboxMessage
from tracker.settings import Settings


class Sink:
    """An SMTP server's handler that keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    def __init__(self, port: int, sink: Sink | None = None, **options: Any) -> None:
        self.sink = sink or Sink()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=port, **options)

    def __enter__(self) -> Sink:
        self.controller.start()
        return self.sink

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def smtp(settings: Settings, port: int) -> Settings:
    return settings.with_(smtp_url=f"smtp://127.0.0.1:{port}", mail_from="tracker@example.org")


@pytest.fixture
def sink(port: int) -> Iterator[Sink]:
    with SmtpServer(port) as received:
        yield received


def outbox(db: Session) -> list[OutboxMessage]:
    db.commit()
    db.expire_all()
    return list(db.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def test_an_email_is_delivered_to_a_real_smtp_server_with_the_flags_link(
    engine: Engine, db: Session, cast: Cast, smtp: Settings, sink: Sink
) -> None:
    follow(db, cast.supervisor)
    flag = flag_in(db, cast.dept_a.id, "A-1")
    run(db, smtp)
    assert send_pending(engine, smtp, LATER) == 1
    [(recipients, email)] = sink.received
    assert recipients == [cast.supervisor.email]
    assert email["Subject"] == "New flag: promise broken in case A-1"
    assert email["From"] == "tracker@example.org"
    body = email.get_content()
    assert f"{smtp.site_url}/flags/{flag.id}" in body and "Bureau A" in body
    [row] = outbox(db)
    assert (row.sent_at, row.attempts, row.last_error) == (LATER, 1, "")
    assert send_pending(engine, smtp, LATER + timedelta(hours=2)) == 0
    assert len(sink.received) == 1


def test_a_failed_attempt_is_retried_later_and_then_sent_exactly_once(
    engine: Engine, db: Session, cast: Cast, smtp: Settings, port: int
) -> None:
    follow(db, cast.supervisor)
    flag_in(db, cast.dept_a.id, "A-1")
    run(db, smtp)
    assert send_pending(engine, smtp, LATER) == 0  # nothing listens on the port
    [row] = outbox(db)
    assert row.attempts == 1 and row.sent_at is None
    assert row.next_attempt_at == LATER + timedelta(minutes=1) and row.last_error
    with SmtpServer(port) as received:
        assert send_pending(engine, smtp, LATER + timedelta(seconds=30)) == 0  # not due yet
        assert received.received == []
        assert send_pending(engine, smtp, LATER + timedelta(minutes=2)) == 1
        assert send_pending(engine, smtp, LATER + timedelta(minutes=3)) == 0
        assert len(received.received) == 1
    [row] = outbox(db)
    assert (row.attempts, row.sent_at, row.last_error) == (2, LATER + timedelta(minutes=2), "")


class RefusesFirstData(Sink):
    """A server that answers its first message with a temporary failure, as a busy one does."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refused == 0:
            self.refused += 1
            return "451 4.3.0 try again later"
        return await super().handle_DATA(server, session, envelope)


def test_a_message_the_server_refuses_for_now_is_retried_later_and_delivered_once(
    engine: Engine, db: Session, cast: Cast, smtp: Settings, port: int
) -> None:
    follow(db, cast.supervisor)
    flag_in(db, cast.dept_a.id, "A-1")
    run(db, smtp)
    sink = RefusesFirstData()
    with SmtpServer(port, sink):
        assert send_pending(engine, smtp, LATER) == 0
        [row] = outbox(db)
        assert (row.attempts, row.sent_at) == (1, None) and sink.received == []
        assert "451" in row.last_error and "try again later" in row.last_error
        assert row.next_attempt_at == LATER + timedelta(minutes=1)
        assert send_pending(engine, smtp, LATER + timedelta(seconds=30)) == 0  # not due yet
        assert send_pending(engine, smtp, LATER + timedelta(minutes=1)) == 1
        assert send_pending(engine, smtp, LATER + timedelta(minutes=2)) == 0
    assert sink.refused == 1
    assert [recipients for recipients, _email in sink.received] == [[cast.supervisor.email]]
    [row] = outbox(db)
    assert (row.attempts, row.sent_at, row.last_error) == (2, LATER + timedelta(minutes=1), "")


def test_each_message_goes_once_to_each_recipient_of_each_event(
    engine: Engine, db: Session, cast: Cast, smtp: Settings, sink: Sink
) -> None:
    follow(db, cast.supervisor)
    follow(db, cast.admin, cast.dept_a.id)
    flag = flag_in(db, cast.dept_a.id, "A-1")
    run(db, smtp)
    run(db, smtp, LATER + timedelta(minutes=1))  # the notifier again: no new e-mail
    assert send_pending(engine, smtp, LATER + timedelta(minutes=1)) == 2
    assert send_pending(engine, smtp, LATER + timedelta(minutes=2)) == 0
    assert sorted(r for recipients, _email in sink.received for r in recipients) == [
        cast.admin.email,
        cast.supervisor.email,
    ]
    ids = {email["Message-ID"] for _recipients, email in sink.received}
    assert len(ids) == 2 and all(f"/flags/{flag.id}" in e.get_content() for _r, e in sink.received)


def test_two_senders_never_claim_the_same_message(
    engine: Engine, db: Session, cast: Cast, smtp: Settings
) -> None:
    follow(db, cast.supervisor)
    flag_in(db, cast.dept_a.id, "A-1")
    run(db, smtp)
    [row] = outbox(db)
    assert _claim(engine, row.id, LATER) is not None  # type: ignore[arg-type]
    assert _claim(engine, row.id, LATER) is None  # type: ignore[arg-type]


def test_a_sender_that_died_after_claiming_leaves_the_message_to_be_sent_later(
    engine: Engine, db: Session, cast: Cast, smtp: Settings, sink: Sink
) -> None:
    follow(db, cast.supervisor)
    flag_in(db, cast.dept_a.id, "A-1")
    run(db, smtp)
    [row] = outbox(db)
    _claim(engine, row.id, LATER)  # type: ignore[arg-type]  # ... and nothing more
    assert send_pending(engine, smtp, LATER + timedelta(minutes=1)) == 0
    assert send_pending(engine, smtp, LATER + timedelta(minutes=11)) == 1
    assert len(sink.received) == 1


def test_without_an_smtp_server_the_outbox_is_left_alone(engine: Engine, settings: Settings) -> None:
    assert settings.smtp_url == ""
    assert send_pending(engine, settings, LATER) == 0


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a test server on localhost
def test_the_user_and_password_in_the_url_sign_in(
    engine: Engine, db: Session, cast: Cast, settings: Settings, port: int
) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"p@ss word")

    with_login = settings.with_(smtp_url=f"smtp://mailer:p%40ss%20word@127.0.0.1:{port}")
    follow(db, cast.supervisor)
    flag_in(db, cast.dept_a.id, "A-1")
    run(db, with_login)
    options = {"authenticator": authenticator, "auth_require_tls": False, "auth_required": True}
    with SmtpServer(port, **options) as received:
        assert send_pending(engine, with_login, LATER) == 1
    assert logins == [(b"mailer", b"p@ss word")] and len(received.received) == 1


@pytest.mark.parametrize(("attempts", "minutes"), [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (50, 60)])
def test_retries_wait_a_minute_doubling_up_to_an_hour(attempts: int, minutes: int) -> None:
    assert retry_delay(attempts) == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example", ("smtp", "mail.example", 25, "", "")),
        ("smtp+starttls://me:p%40ss@mail.example", ("smtp+starttls", "mail.example", 587, "me", "p@ss")),
        ("smtps://mail.example:2465", ("smtps", "mail.example", 2465, "", "")),
    ],
)
def test_the_server_url_names_scheme_host_port_and_login(url: str, expected: tuple[Any, ...]) -> None:
    server = Server.from_url(url)
    assert (server.scheme, server.host, server.port, server.user, server.password) == expected
