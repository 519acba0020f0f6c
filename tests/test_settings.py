"""Settings: documented in the README, sensible defaults, one clear error per bad value, a kept secret key."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from tracker.settings import SETTINGS, ConfigError, Settings, load_settings

README = Path(__file__).resolve().parent.parent / "README.md"
SETTING_ROW = re.compile(r"^\|\s*`(TRACKER_[A-Z0-9_]+)`")
GOOD_SECRET = "a-secret-key-that-is-long-enough-0123456789"


def _setting_rows(markdown: str) -> dict[str, str]:
    """The rows of a markdown settings table (``| `TRACKER_...` | ...``), by setting name."""
    rows: dict[str, str] = {}
    for line in markdown.splitlines():
        match = SETTING_ROW.match(line.strip())
        if match:
            rows[match.group(1)] = line.strip()
    return rows


def _shows(row: str, value: str) -> bool:
    """Whether ``value`` stands as a whole word after the row's name cell (``off``, not ``offline``)."""
    rest = row.split("|", 2)[2]
    return re.search(rf"(?<![\w./:-]){re.escape(value)}(?![\w./:-])", rest) is not None


def _readme_rows() -> dict[str, str]:
    assert README.exists(), f"{README} is missing: it must document every setting"
    return _setting_rows(README.read_text(encoding="utf-8"))


def _load(tmp_path: Path, **env: str) -> Settings:
    """Settings from ``env`` alone, keeping the data directory (and its secret key) inside tmp_path."""
    return load_settings({"TRACKER_DATA_DIR": str(tmp_path / "data"), **env})


def _config_error(tmp_path: Path, **env: str) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, **env)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_readme_has_a_settings_table() -> None:
    assert _readme_rows(), "no row of the form | `TRACKER_...` | in README.md"


def test_every_setting_is_documented_in_the_readme_with_its_default() -> None:
    rows = _readme_rows()
    missing = [s.name for s in SETTINGS if s.name not in rows]
    wrong_default = [
        f"{s.name} (default {s.default!r})"
        for s in SETTINGS
        if s.name in rows and s.default and not _shows(rows[s.name], s.default)
    ]
    assert missing == [], "settings without a row in the README's settings table"
    assert wrong_default == [], "README rows that do not show the setting's default"


def test_the_readme_documents_no_setting_that_does_not_exist() -> None:
    known = {s.name for s in SETTINGS}
    assert sorted(set(_readme_rows()) - known) == []


def test_every_setting_has_a_help_text_and_a_unique_name() -> None:
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    assert all(s.name.startswith("TRACKER_") and s.help.strip() for s in SETTINGS)


def test_the_defaults_are_a_local_sqlite_file_in_chinese_in_shanghai_time(tmp_path: Path) -> None:
    settings = _load(tmp_path)
    assert settings.database_url == "sqlite:///./tracker.db"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.language == "zh-CN"
    assert settings.run_scheduler is False
    assert settings.debug is False
    assert settings.allowed_hosts == ("localhost", "127.0.0.1", "[::1]")
    assert settings.session_idle_minutes == 30
    assert settings.session_max_hours == 12
    assert settings.max_body_bytes == 262144
    assert settings.max_upload_bytes == 20971520
    assert settings.log_level == "INFO"


def test_every_default_is_itself_a_valid_value(tmp_path: Path) -> None:
    explicit = {s.name: s.default for s in SETTINGS if s.name != "TRACKER_DATA_DIR"}
    assert _load(tmp_path, **explicit) == _load(tmp_path)


def test_good_values_are_parsed(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        TRACKER_TIMEZONE="Europe/Berlin",
        TRACKER_LANGUAGE="en",
        TRACKER_RUN_SCHEDULER="Yes",
        TRACKER_DEBUG="1",
        TRACKER_SESSION_IDLE_MINUTES="45",
        TRACKER_ALLOWED_HOSTS=" tracker.example.gov.cn , localhost ,",
        TRACKER_LOG_LEVEL="debug",
    )
    assert settings.timezone == "Europe/Berlin"
    assert settings.tz.key == "Europe/Berlin"
    assert settings.language == "en"
    assert settings.run_scheduler is True
    assert settings.debug is True
    assert settings.session_idle_minutes == 45
    assert settings.allowed_hosts == ("tracker.example.gov.cn", "localhost")
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRACKER_TIMEZONE", "Mars/Olympus"),
        ("TRACKER_LANGUAGE", "fr"),
        ("TRACKER_RUN_SCHEDULER", "maybe"),
        ("TRACKER_DEBUG", "sometimes"),
        ("TRACKER_SECURE_COOKIES", "perhaps"),
        ("TRACKER_SESSION_IDLE_MINUTES", "0"),
        ("TRACKER_SESSION_IDLE_MINUTES", "abc"),
        ("TRACKER_SESSION_MAX_HOURS", "-1"),
        ("TRACKER_LOGIN_MAX_FAILURES", "1.5"),
        ("TRACKER_MAX_UPLOAD_BYTES", "20MB"),
    ],
)
def test_a_bad_value_is_refused_with_a_message_naming_the_setting_and_the_value(
    tmp_path: Path, name: str, value: str
) -> None:
    message = _config_error(tmp_path, **{name: value})
    assert name in message
    assert repr(value) in message


def test_an_empty_list_of_allowed_hosts_is_refused(tmp_path: Path) -> None:
    assert "TRACKER_ALLOWED_HOSTS" in _config_error(tmp_path, TRACKER_ALLOWED_HOSTS=" , ")


def test_a_short_secret_key_is_refused_without_repeating_it(tmp_path: Path) -> None:
    message = _config_error(tmp_path, TRACKER_SECRET_KEY="too-short-secret")
    assert "TRACKER_SECRET_KEY" in message
    assert "32" in message
    assert "too-short-secret" not in message  # a secret does not belong in logs


def test_a_given_secret_key_is_used_and_nothing_is_written(tmp_path: Path) -> None:
    settings = _load(tmp_path, TRACKER_SECRET_KEY=GOOD_SECRET)
    assert settings.secret_key == GOOD_SECRET
    assert not (tmp_path / "data" / "secret_key").exists()


def test_without_a_secret_key_one_is_generated_into_the_data_dir_readable_by_the_owner_only(
    tmp_path: Path,
) -> None:
    settings = _load(tmp_path)
    key_file = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text(encoding="ascii").strip() == settings.secret_key
    assert len(settings.secret_key) >= 32
    assert [p.name for p in key_file.parent.iterdir()] == ["secret_key"]  # no temporary file left behind


def test_the_generated_secret_key_is_kept_across_loads(tmp_path: Path) -> None:
    first = _load(tmp_path).secret_key
    assert _load(tmp_path).secret_key == first


def test_two_fresh_data_dirs_get_different_secret_keys(tmp_path: Path) -> None:
    one = load_settings({"TRACKER_DATA_DIR": str(tmp_path / "one")}).secret_key
    two = load_settings({"TRACKER_DATA_DIR": str(tmp_path / "two")}).secret_key
    assert one != two


def test_without_create_secret_no_key_file_is_written(tmp_path: Path) -> None:
    settings = load_settings({"TRACKER_DATA_DIR": str(tmp_path / "data")}, create_secret=False)
    assert settings.secret_key == ""
    assert not (tmp_path / "data").exists()


def test_a_data_dir_that_cannot_be_created_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError) as caught:
        load_settings({"TRACKER_DATA_DIR": str(blocker / "data")})
    assert str(caught.value).startswith("TRACKER_DATA_DIR:")
    assert "\n" not in str(caught.value)


def test_a_stored_secret_key_that_is_too_short_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secret_key").write_text("short\n", encoding="ascii")
    message = _config_error(tmp_path)
    assert "secret_key" in message
    assert "short" in message


@pytest.mark.parametrize(
    "hosts",
    ["localhost", "localhost,127.0.0.1", "localhost,127.0.0.1,[::1]", "[::1]"],
)
def test_auto_secure_cookies_are_off_when_every_allowed_host_is_local(tmp_path: Path, hosts: str) -> None:
    assert _load(tmp_path, TRACKER_ALLOWED_HOSTS=hosts).secure_cookies is False
    assert _load(tmp_path, TRACKER_ALLOWED_HOSTS=hosts, TRACKER_SECURE_COOKIES="auto").secure_cookies is False


@pytest.mark.parametrize(
    "hosts",
    ["tracker.example.gov.cn", "localhost,tracker.example.gov.cn", "127.0.0.1,10.0.0.5"],
)
def test_auto_secure_cookies_are_on_when_a_real_host_is_allowed(tmp_path: Path, hosts: str) -> None:
    assert _load(tmp_path, TRACKER_ALLOWED_HOSTS=hosts).secure_cookies is True


def test_auto_secure_cookies_count_only_loopback_names_as_local(tmp_path: Path) -> None:
    # The README promises plain-HTTP cookies only "when every allowed host is localhost";
    # an mDNS/LAN name such as testserver.local is reachable from other machines.
    assert _load(tmp_path, TRACKER_ALLOWED_HOSTS="testserver.local").secure_cookies is True


def test_explicit_secure_cookies_are_respected(tmp_path: Path) -> None:
    local, real = "localhost,127.0.0.1", "tracker.example.gov.cn"
    assert _load(tmp_path, TRACKER_ALLOWED_HOSTS=local, TRACKER_SECURE_COOKIES="on").secure_cookies is True
    assert _load(tmp_path, TRACKER_ALLOWED_HOSTS=real, TRACKER_SECURE_COOKIES="off").secure_cookies is False
