"""Every setting of the product, declared once: name, default, help.

The README's settings table is checked against ``SETTINGS`` by a test, so a new
setting cannot ship undocumented.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """A setting has a value the product cannot run with; the message names it."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    parse: Callable[[str, str], Any] = field(default=lambda name, raw: raw)


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}: expected on/off (true/false, 1/0), got {raw!r}")


def _optional_bool(name: str, raw: str) -> bool | None:
    if raw.strip().lower() in {"", "auto"}:
        return None
    return _bool(name, raw)


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name}: must be greater than 0, got {raw!r}")
    return value


def _non_negative_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name}: must be 0 or more, got {raw!r}")
    return value


def _timezone(name: str, raw: str) -> str:
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name}: unknown time zone {raw!r} (expected e.g. Asia/Shanghai)") from None
    return raw


def _language(name: str, raw: str) -> str:
    if raw not in LANGUAGES:
        raise ConfigError(f"{name}: expected one of {', '.join(LANGUAGES)}, got {raw!r}")
    return raw


def _smtp_url(name: str, raw: str) -> str:
    raw = raw.strip()
    if raw and raw.split("://", 1)[0] not in {"smtp", "smtps", "smtp+starttls"}:
        raise ConfigError(
            f"{name}: expected smtp://, smtps:// or smtp+starttls://, got {raw.split('://')[0]!r}"
        )
    return raw


def _hosts(name: str, raw: str) -> tuple[str, ...]:
    hosts = tuple(h.strip() for h in raw.split(",") if h.strip())
    if not hosts:
        raise ConfigError(f"{name}: list at least one host name")
    return hosts


LANGUAGES = ("zh-CN", "en")

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "TRACKER_DATABASE_URL",
        "sqlite:///./tracker.db",
        "Database URL: `sqlite:///path.db` (embedded) or `postgresql://user@host/db` (production).",
    ),
    Setting(
        "TRACKER_SECRET_KEY",
        "",
        "Key for signing session-bound CSRF tokens and flash cookies. When unset, one is generated "
        "once and kept in `TRACKER_DATA_DIR/secret_key` (mode 0600).",
    ),
    Setting(
        "TRACKER_DATA_DIR",
        "./var",
        "Directory for files the product keeps: the generated secret key, uploads, attachments.",
    ),
    Setting(
        "TRACKER_TIMEZONE",
        "Asia/Shanghai",
        "Time zone of dates on pages and of deadline arithmetic.",
        _timezone,
    ),
    Setting("TRACKER_LANGUAGE", "zh-CN", "Default language: `zh-CN` or `en`.", _language),
    Setting(
        "TRACKER_RUN_SCHEDULER",
        "off",
        "Run the scheduler inside the web process (single-process deployments and the demo). "
        "Otherwise run `tracker scheduler run` as its own process.",
        _bool,
    ),
    Setting(
        "TRACKER_ALLOWED_HOSTS",
        "localhost,127.0.0.1,[::1]",
        "Comma-separated host names the site answers to; other Host headers get 400.",
        _hosts,
    ),
    Setting(
        "TRACKER_SECURE_COOKIES",
        "auto",
        "`on`: cookies are `Secure` with `__Host-` names (HTTPS). `off`: plain HTTP. `auto`: off only "
        "when every allowed host is localhost.",
        _optional_bool,
    ),
    Setting("TRACKER_DEBUG", "off", "Show debugging details on errors. Never in production.", _bool),
    Setting(
        "TRACKER_SESSION_IDLE_MINUTES",
        "30",
        "A signed-in session ends after this many minutes without a request.",
        _positive_int,
    ),
    Setting(
        "TRACKER_SESSION_MAX_HOURS",
        "12",
        "A signed-in session ends this many hours after sign-in, active or not.",
        _positive_int,
    ),
    Setting(
        "TRACKER_LOGIN_MAX_FAILURES",
        "5",
        "Failed sign-ins allowed per account within the throttle window before it is locked for the "
        "rest of the window (four times as many per client address).",
        _positive_int,
    ),
    Setting(
        "TRACKER_LOGIN_WINDOW_MINUTES",
        "15",
        "Length of the sign-in throttle window.",
        _positive_int,
    ),
    Setting(
        "TRACKER_MAX_BODY_BYTES",
        "262144",
        "Largest request body accepted by ordinary forms and API calls (413 above it).",
        _positive_int,
    ),
    Setting(
        "TRACKER_MAX_UPLOAD_BYTES",
        "20971520",
        "Largest request body accepted by file-upload routes.",
        _positive_int,
    ),
    Setting(
        "TRACKER_MAX_ATTACHMENT_BYTES",
        "10485760",
        "Largest file a department may attach to a reply or rectification report (pdf, jpg, png, xlsx).",
        _positive_int,
    ),
    Setting(
        "TRACKER_AUDIT_KEY_FILE",
        "",
        "The Ed25519 private key (PEM) that signs the audit log's checkpoints. When unset, one is "
        "generated once and kept in `TRACKER_DATA_DIR/audit_ed25519.pem` (mode 0600). Keep it out "
        "of the database and its backups.",
    ),
    Setting(
        "TRACKER_SMTP_URL",
        "",
        "Send notifications by e-mail through this server: `smtp://user:password@host:25`, "
        "`smtp+starttls://…:587` or `smtps://…:465`. Unset: the in-app inbox only.",
        _smtp_url,
    ),
    Setting(
        "TRACKER_MAIL_FROM",
        "tracker@localhost",
        "The From address of notification e-mails.",
    ),
    Setting(
        "TRACKER_SITE_URL",
        "http://127.0.0.1:8000",
        "The site's public address, for links in e-mails.",
        lambda name, raw: raw.rstrip("/"),
    ),
    Setting(
        "TRACKER_PAGE_CACHE_SECONDS",
        "60",
        "Keep rendered public scorecard pages this long for anonymous visitors (0: render every time).",
        _non_negative_int,
    ),
    Setting(
        "TRACKER_LOG_LEVEL",
        "INFO",
        "Logging level: DEBUG, INFO, WARNING, ERROR.",
        lambda name, raw: raw.upper(),
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}
_LOOPBACK = {"localhost", "127.0.0.1", "[::1]", "::1"}


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    data_dir: Path
    timezone: str
    language: str
    run_scheduler: bool
    allowed_hosts: tuple[str, ...]
    secure_cookies: bool
    debug: bool
    session_idle_minutes: int
    session_max_hours: int
    login_max_failures: int
    login_window_minutes: int
    max_body_bytes: int
    max_upload_bytes: int
    max_attachment_bytes: int
    audit_key_file: Path
    smtp_url: str
    mail_from: str
    site_url: str
    page_cache_seconds: int
    log_level: str

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


def raw_value(name: str, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get(name, _BY_NAME[name].default)


def _parsed(name: str, environ: Mapping[str, str]) -> Any:
    setting = _BY_NAME[name]
    return setting.parse(name, raw_value(name, environ))


def load_settings(environ: Mapping[str, str] | None = None, *, create_secret: bool = True) -> Settings:
    """Read every setting from the environment; raise ConfigError naming the first bad one."""
    env = os.environ if environ is None else environ
    data_dir = Path(raw_value("TRACKER_DATA_DIR", env))
    allowed_hosts: tuple[str, ...] = _parsed("TRACKER_ALLOWED_HOSTS", env)
    secure: bool | None = _parsed("TRACKER_SECURE_COOKIES", env)
    if secure is None:
        secure = not all(host in _LOOPBACK for host in allowed_hosts)
    secret = raw_value("TRACKER_SECRET_KEY", env)
    if not secret:
        secret = stored_secret_key(data_dir) if create_secret else ""
    elif len(secret) < 32:
        raise ConfigError("TRACKER_SECRET_KEY: use at least 32 characters")
    return Settings(
        database_url=raw_value("TRACKER_DATABASE_URL", env),
        secret_key=secret,
        data_dir=data_dir,
        timezone=_parsed("TRACKER_TIMEZONE", env),
        language=_parsed("TRACKER_LANGUAGE", env),
        run_scheduler=_parsed("TRACKER_RUN_SCHEDULER", env),
        allowed_hosts=allowed_hosts,
        secure_cookies=secure,
        debug=_parsed("TRACKER_DEBUG", env),
        session_idle_minutes=_parsed("TRACKER_SESSION_IDLE_MINUTES", env),
        session_max_hours=_parsed("TRACKER_SESSION_MAX_HOURS", env),
        login_max_failures=_parsed("TRACKER_LOGIN_MAX_FAILURES", env),
        login_window_minutes=_parsed("TRACKER_LOGIN_WINDOW_MINUTES", env),
        max_body_bytes=_parsed("TRACKER_MAX_BODY_BYTES", env),
        max_upload_bytes=_parsed("TRACKER_MAX_UPLOAD_BYTES", env),
        max_attachment_bytes=_parsed("TRACKER_MAX_ATTACHMENT_BYTES", env),
        audit_key_file=Path(raw_value("TRACKER_AUDIT_KEY_FILE", env) or data_dir / "audit_ed25519.pem"),
        smtp_url=_parsed("TRACKER_SMTP_URL", env),
        mail_from=raw_value("TRACKER_MAIL_FROM", env),
        site_url=_parsed("TRACKER_SITE_URL", env),
        page_cache_seconds=_parsed("TRACKER_PAGE_CACHE_SECONDS", env),
        log_level=_parsed("TRACKER_LOG_LEVEL", env),
    )


def create_private_file(path: Path, content: bytes, setting: str) -> None:
    """Write ``path`` with mode 0600 unless it exists; of two processes starting together, one wins."""
    if path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        try:
            os.link(tmp, path)  # link() refuses an existing name, unlike rename()
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    except OSError as exc:
        raise ConfigError(f"{setting}: cannot create {path}: {exc.strerror}") from None


def stored_secret_key(data_dir: Path) -> str:
    """The key kept in ``data_dir/secret_key``, generated on first use with mode 0600."""
    path = data_dir / "secret_key"
    create_private_file(path, (secrets.token_urlsafe(48) + "\n").encode("ascii"), "TRACKER_DATA_DIR")
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ConfigError(f"{path}: the stored secret key is too short; delete the file to regenerate it")
    return key
