"""Sending the outbox through SMTP: claim a due message, send it, mark it sent; on failure, retry later.

At least once: a message is marked sent only after the server accepted it, so a sender that dies in
between sends it again once its claim (CLAIM_FOR) has run out. Two senders do not send one message
at once: each claims its row with a conditional UPDATE and sends only when that UPDATE changed it.
The Message-ID stays the same on every attempt, so a receiver can drop the rare duplicate.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine, select, update

from tracker.notify.models import OutboxMessage
from tracker.settings import Settings

log = logging.getLogger("scheduler.mail")

BATCH = 200  # messages per run; the rest wait a minute
TIMEOUT = 30  # seconds for the server to answer
CLAIM_FOR = timedelta(minutes=10)  # longer than sending one message can take (a few TIMEOUTs)
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}

_outbox = OutboxMessage.__table__  # type: ignore[attr-defined]


def retry_delay(attempts: int) -> timedelta:
    """1 minute after the first failed attempt, doubling, at most an hour."""
    doublings = min(max(attempts - 1, 0), 10)
    return min(FIRST_RETRY * (1 << doublings), LAST_RETRY)


@dataclass(frozen=True)
class Server:
    scheme: str
    host: str
    port: int
    user: str
    password: str

    @classmethod
    def from_url(cls, url: str) -> Server:
        """``smtp://``, ``smtp+starttls://`` or ``smtps://`` with optional ``user:password@``
        (percent-encoded) and port."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError("TRACKER_SMTP_URL: expected smtp://host, smtp+starttls://host or smtps://host")
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=parts.port or DEFAULT_PORTS[parts.scheme],
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
        )

    def connect(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP
        if self.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(
                self.host, self.port, timeout=TIMEOUT, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT)
        try:
            if self.scheme == "smtp+starttls":
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp


class _Connection:
    """One SMTP connection for a run, opened at the first message and again after a failure."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.smtp: smtplib.SMTP | None = None

    def get(self) -> smtplib.SMTP:
        if self.smtp is None:
            self.smtp = self.server.connect()
        return self.smtp

    def drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except OSError:
                self.smtp.close()
            self.smtp = None


def build_email(row: Any, settings: Settings, now: datetime) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = row.to_address
    email["Subject"] = " ".join(row.subject.split())  # a header holds no line breaks
    email["Date"] = format_datetime(now)
    domain = settings.mail_from.rpartition("@")[2] or "localhost"
    email["Message-ID"] = f"<outbox-{row.id}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    email.set_content(row.body)
    return email


def _due(engine: Engine, now: datetime, limit: int) -> list[int]:
    # ix_outbox_pending
    query = (
        select(_outbox.c.id)
        .where(_outbox.c.sent_at.is_(None), _outbox.c.next_attempt_at <= now)
        .order_by(_outbox.c.next_attempt_at, _outbox.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def _claim(engine: Engine, row_id: int, now: datetime) -> Any | None:
    """The row, if this sender claimed it: counted as an attempt, not due again before CLAIM_FOR."""
    with engine.begin() as conn:
        claimed = conn.execute(
            update(_outbox)
            .where(_outbox.c.id == row_id, _outbox.c.sent_at.is_(None), _outbox.c.next_attempt_at <= now)
            .values(attempts=_outbox.c.attempts + 1, next_attempt_at=now + CLAIM_FOR)
        )
        if claimed.rowcount != 1:
            return None  # another sender took it, or it was sent meanwhile
        return conn.execute(select(_outbox).where(_outbox.c.id == row_id)).one()


def _sent(engine: Engine, row_id: int, now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(update(_outbox).where(_outbox.c.id == row_id).values(sent_at=now, last_error=""))


def _failed(engine: Engine, row: Any, now: datetime, exc: BaseException) -> None:
    error = f"{type(exc).__name__}: {exc}"[:500]
    log.warning("e-mail %d to %s not sent (attempt %d): %s", row.id, row.to_address, row.attempts, error)
    with engine.begin() as conn:
        conn.execute(
            update(_outbox)
            .where(_outbox.c.id == row.id, _outbox.c.sent_at.is_(None))
            .values(next_attempt_at=now + retry_delay(row.attempts), last_error=error)
        )


def send_pending(engine: Engine, settings: Settings, now: datetime, limit: int = BATCH) -> int:
    """Send the messages due at ``now``; returns how many the server accepted (0 without SMTP)."""
    if not settings.smtp_url:
        return 0
    connection = _Connection(Server.from_url(settings.smtp_url))
    sent = 0
    try:
        for row_id in _due(engine, now, limit):
            row = _claim(engine, row_id, now)
            if row is None:
                continue
            try:
                smtp = connection.get()
            except OSError as exc:  # unreachable, refused, TLS or login failed: the rest can wait
                _failed(engine, row, now, exc)
                break
            try:
                smtp.send_message(build_email(row, settings, now), settings.mail_from, [row.to_address])
            except (OSError, ValueError) as exc:  # SMTPException is an OSError; ValueError: a bad address
                _failed(engine, row, now, exc)
                connection.drop()
                continue
            _sent(engine, row_id, now)
            sent += 1
    finally:
        connection.drop()
    return sent
