"""`tracker scheduler once|run` and `tracker flags list`, as an operator runs them."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import TRACKER, Tracker, one_line_error
from tests.test_cases_cli import listed, write_jsonl  # noqa: F401  (listed: the CLI's fixture)

EVENTS = [
    {"case": "C-1", "type": "received", "at": "2026-03-02T09:00:00", "power": "XK-1", "id": "r"},
    {"case": "C-1", "type": "accepted", "at": "2026-03-03T10:00:00", "id": "a"},
]


def with_records(*events: dict[str, str]) -> list[dict[str, str]]:
    return [{**e, "recorded_at": e["at"]} for e in events]


def test_scheduler_once_prints_what_it_raised_and_flags_list_shows_it(
    listed: Tracker,  # noqa: F811
    tmp_path: Path,
) -> None:
    listed.ok(
        "cases",
        "import",
        str(write_jsonl(tmp_path / "e.jsonl", *with_records(*EVENTS))),
        "--department",
        "scjg",
    )
    raised = json.loads(listed.ok("scheduler", "once", "--now", "2026-04-01T09:00:00"))
    assert sorted((r["kind"], r["step"], r["since"]) for r in raised) == [
        ("due_soon", None, "2026-03-15T16:00:00+00:00"),  # 00:00 on Mon 16 Mar in Shanghai
        ("promise_overdue", None, "2026-03-17T15:59:59.999999+00:00"),
        ("stalled", None, "2026-03-17T15:59:59.999999+00:00"),
        ("statutory_overdue", None, "2026-03-31T15:59:59.999999+00:00"),
        ("step_overdue", 1, "2026-03-04T15:59:59.999999+00:00"),
    ]
    assert json.loads(listed.ok("scheduler", "once", "--now", "2026-04-01T10:00:00")) == []  # nothing twice
    [red] = json.loads(listed.ok("flags", "list", "--kind", "statutory_overdue", "--format", "json"))
    assert red == {
        "case": "C-1",
        "department": "scjg",
        "power": "XK-1",
        "kind": "statutory_overdue",
        "level": "red",
        "step": None,
        "since": "2026-03-31T15:59:59.999999+00:00",
        "detected_at": "2026-04-01T01:00:00+00:00",
        "status": "open",
        "due_at": None,
    }
    assert len(json.loads(listed.ok("flags", "list", "--department", "scjg", "--format", "json"))) == 5
    assert "5 flag(s)" in listed.ok("flags", "list")


def test_bad_arguments_are_one_line_errors(migrated: Tracker) -> None:
    assert "--now" in one_line_error(migrated("scheduler", "once", "--now", "yesterday"))
    assert "'nope'" in one_line_error(migrated("flags", "list", "--department", "nope"))


def test_the_scheduler_process_stops_cleanly_on_sigterm(migrated: Tracker) -> None:
    process = subprocess.Popen(
        [str(TRACKER), "scheduler", "run"],
        env={**migrated.env, "TRACKER_LOG_LEVEL": "INFO"},
        cwd=migrated.cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        assert process.stderr is not None
        lines: list[str] = []
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            lines.append(line)
            if "job event_scan done" in line:  # started, and its first scans have run
                break
        else:  # pragma: no cover - the scheduler never started
            raise AssertionError("".join(lines))
        process.send_signal(signal.SIGTERM)
        # Generous: the running jobs finish first, and on a loaded CI machine ten jobs starting at
        # once on one SQLite file take turns at its write lock.
        _out, err = process.communicate(timeout=90)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "SIGTERM: stopping after the running jobs" in err
    assert "scheduler stopped" in err
