from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from litestar import Litestar
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from powerlists.columns import utcnow
from scheduler.jobs import JOBS, LOGIN_ATTEMPT_RETENTION, Job, holder_id, housekeeping, run_job
from tests.conftest import Cast, Tracker, new_client, one_line_error
from tests.test_cases_ingest import token_for
from tracker.accounts.models import LoginAttempt, WebSession
from tracker.accounts.sessions import token_hash
from tracker.app import create_app
from tracker.flags.models import Flag, ScanMark
from tracker.leases import Lease, acquire, release
from tracker.settings import Settings

TTL = timedelta(minutes=10)
# The thread apscheduler's BackgroundScheduler.start() creates: Thread(..., name="APScheduler").
SCHEDULER_THREAD = "APScheduler"


def _scheduler_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if SCHEDULER_THREAD in t.name]


def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _session(user_id: int, name: str, *, last_seen_ago: timedelta, expires_in: timedelta) -> WebSession:
    now = utcnow()
    return WebSession(
        token_hash=token_hash(name),
        user_id=user_id,
        created_at=now - last_seen_ago,
        last_seen_at=now - last_seen_ago,
        expires_at=now + expires_in,
    )


def _session_names(db: Session) -> set[str]:
    db.commit()  # end the read transaction: SQLite keeps one snapshot per transaction
    db.expire_all()
    hashes = {token_hash(name): name for name in ("expired", "idle", "live")}
    return {hashes.get(s.token_hash, s.token_hash) for s in db.exec(select(WebSession))}


def _leases(db: Session) -> list[Lease]:
    db.commit()  # end the read transaction: SQLite keeps one snapshot per transaction
    db.expire_all()
    return list(db.exec(select(Lease)))


# Leases


def test_a_lease_is_held_by_one_holder_at_a_time(engine: Engine) -> None:
    now = utcnow()
    assert acquire(engine, "job:x", "alpha", now, TTL)
    assert not acquire(engine, "job:x", "beta", now + timedelta(minutes=1), TTL)
    assert not acquire(engine, "job:x", "beta", now + TTL - timedelta(seconds=1), TTL)
    # Another lease name is independent.
    assert acquire(engine, "job:y", "beta", now, TTL)


def test_another_holder_gets_the_lease_once_it_has_expired(engine: Engine, db: Session) -> None:
    now = utcnow()
    assert acquire(engine, "job:x", "alpha", now, TTL)
    assert acquire(engine, "job:x", "beta", now + TTL, TTL)
    [lease] = _leases(db)
    assert lease.holder == "beta"
    assert lease.expires_at == now + TTL + TTL
    # And the previous holder is now the one kept out.
    assert not acquire(engine, "job:x", "alpha", now + TTL + timedelta(minutes=1), TTL)


def test_the_holder_can_renew_its_lease(engine: Engine, db: Session) -> None:
    now = utcnow()
    assert acquire(engine, "job:x", "alpha", now, TTL)
    assert acquire(engine, "job:x", "alpha", now + timedelta(minutes=5), TTL)
    [lease] = _leases(db)
    assert lease.holder == "alpha"
    assert lease.expires_at == now + timedelta(minutes=15)
    # Past the first expiry but before the renewed one, the lease is still taken.
    assert not acquire(engine, "job:x", "beta", now + timedelta(minutes=12), TTL)
    assert acquire(engine, "job:x", "beta", now + timedelta(minutes=15), TTL)


def test_release_frees_the_lease_but_only_for_its_holder(engine: Engine, db: Session) -> None:
    now = utcnow()
    assert acquire(engine, "job:x", "alpha", now, TTL)
    release(engine, "job:x", "beta")  # not beta's to release
    assert not acquire(engine, "job:x", "beta", now, TTL)
    release(engine, "job:x", "alpha")
    assert _leases(db) == []
    assert acquire(engine, "job:x", "beta", now, TTL)


def test_lease_times_compare_as_instants_whatever_their_time_zone(engine: Engine) -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    now = utcnow()
    assert acquire(engine, "job:x", "alpha", now, TTL)
    # Eight hours "later" on the wall clock, but the same instant: still held.
    assert not acquire(engine, "job:x", "beta", now.astimezone(shanghai) + timedelta(minutes=5), TTL)
    assert acquire(engine, "job:x", "beta", (now + TTL).astimezone(shanghai), TTL)


# run_job


def _counting_job() -> tuple[Job, list[int]]:
    calls: list[int] = []

    def step(engine: Engine, settings: Settings, now: object) -> int:
        calls.append(1)
        return 7

    return Job("test-counting", timedelta(minutes=15), step), calls


@contextmanager
def held_elsewhere(engine: Engine, job: Job) -> Iterator[None]:
    """The job's lock, held by "another process": an advisory lock on another connection
    (PostgreSQL) or another holder's lease (SQLite)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(hashtext(:n))"), {"n": f"tracker:job:{job.name}"})
            conn.commit()
            yield
            conn.execute(text("SELECT pg_advisory_unlock(hashtext(:n))"), {"n": f"tracker:job:{job.name}"})
            conn.commit()
        return
    assert acquire(engine, f"job:{job.name}", "another-host:4242", utcnow(), job.every * 2)
    yield
    release(engine, f"job:{job.name}", "another-host:4242")


def test_run_job_skips_while_another_process_holds_the_jobs_lock(engine: Engine, settings: Settings) -> None:
    job, calls = _counting_job()
    with held_elsewhere(engine, job):
        assert run_job(engine, settings, job) is None
    assert calls == []
    assert run_job(engine, settings, job) == 7  # free again once the other let go
    assert calls == [1]


def test_run_job_runs_and_releases_the_lock_when_it_is_free(
    engine: Engine, settings: Settings, db: Session
) -> None:
    job, calls = _counting_job()
    assert run_job(engine, settings, job) == 7
    assert calls == [1]
    assert _leases(db) == []
    assert run_job(engine, settings, job) == 7  # released, so the next run is not blocked
    assert calls == [1, 1]


def test_a_crashed_holders_lock_does_not_block_the_job_for_ever(engine: Engine, settings: Settings) -> None:
    job, calls = _counting_job()
    if engine.dialect.name == "postgresql":
        # The server drops a session's advisory locks when its connection ends, as when a process dies.
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(hashtext(:n))"), {"n": f"tracker:job:{job.name}"})
            conn.commit()
            conn.invalidate()  # the connection is closed, not returned to the pool with its lock
    else:
        now = utcnow()
        assert acquire(engine, f"job:{job.name}", "crashed-host:1", now - job.every * 3, job.every * 2)
    assert run_job(engine, settings, job) == 7
    assert calls == [1]


def test_run_job_releases_the_lock_when_the_step_fails(
    engine: Engine, settings: Settings, db: Session
) -> None:
    def step(engine: Engine, settings: Settings, now: object) -> int:
        raise RuntimeError("boom")

    job = Job("test-failing", timedelta(minutes=15), step)
    try:
        run_job(engine, settings, job)
    except RuntimeError:
        pass
    else:  # pragma: no cover - the step always raises
        raise AssertionError("the step's error was swallowed")
    assert _leases(db) == []
    counting, calls = _counting_job()
    assert run_job(engine, settings, Job(job.name, job.every, counting.step)) == 7  # not left locked
    assert calls == [1]


def test_the_scans_and_housekeeping_are_the_registered_jobs() -> None:
    assert [(j.name, j.every) for j in JOBS] == [
        ("deadline_scan", timedelta(minutes=1)),
        ("event_scan", timedelta(minutes=1)),
        ("housekeeping", timedelta(minutes=15)),
        ("audit_checkpoint", timedelta(hours=1)),
        ("scorecards", timedelta(hours=1)),
        ("supervision_deadlines", timedelta(minutes=15)),
        ("notify", timedelta(minutes=1)),
        ("send_mail", timedelta(minutes=1)),
        ("rating_invitations", timedelta(hours=1)),
        ("bad_reviews", timedelta(minutes=15)),
        ("complaints", timedelta(minutes=15)),
    ]
    assert JOBS[2].step is housekeeping


# Housekeeping


def test_housekeeping_deletes_ended_sessions_and_keeps_live_ones(
    engine: Engine, settings: Settings, db: Session, cast: Cast
) -> None:
    idle = timedelta(minutes=settings.session_idle_minutes)
    assert cast.admin.id is not None
    db.add_all(
        [
            # Past its absolute limit although used a minute ago.
            _session(
                cast.admin.id, "expired", last_seen_ago=timedelta(minutes=1), expires_in=-timedelta(seconds=1)
            ),
            # Within its absolute limit but idle for longer than allowed.
            _session(
                cast.admin.id,
                "idle",
                last_seen_ago=idle + timedelta(minutes=1),
                expires_in=timedelta(hours=1),
            ),
            _session(
                cast.admin.id, "live", last_seen_ago=timedelta(minutes=5), expires_in=timedelta(hours=11)
            ),
        ]
    )
    db.commit()
    assert _session_names(db) == {"expired", "idle", "live"}

    assert housekeeping(engine, settings, utcnow()) == 2
    assert _session_names(db) == {"live"}


def test_housekeeping_deletes_login_attempts_older_than_90_days_and_keeps_recent_ones(
    engine: Engine, settings: Settings, db: Session
) -> None:
    now = utcnow()
    assert timedelta(days=90) == LOGIN_ATTEMPT_RETENTION
    ages = {
        "ancient@example.org": timedelta(days=400),
        "old@example.org": timedelta(days=90, minutes=1),
        "edge@example.org": timedelta(days=89, hours=23),
        "recent@example.org": timedelta(days=1),
        "now@example.org": timedelta(0),
    }
    db.add_all(
        [
            LoginAttempt(email=email, ip="192.0.2.1", at=now - age, success=False)
            for email, age in ages.items()
        ]
    )
    db.commit()

    assert housekeeping(engine, settings, now) == 2
    db.commit()  # end the read transaction: SQLite keeps one snapshot per transaction
    db.expire_all()
    kept = {a.email for a in db.exec(select(LoginAttempt))}
    assert kept == {"edge@example.org", "recent@example.org", "now@example.org"}


def test_running_housekeeping_twice_is_harmless(
    engine: Engine, settings: Settings, db: Session, cast: Cast
) -> None:
    now = utcnow()
    assert cast.op_a.id is not None
    db.add_all(
        [
            _session(
                cast.op_a.id, "expired", last_seen_ago=timedelta(hours=13), expires_in=-timedelta(hours=1)
            ),
            _session(cast.op_a.id, "live", last_seen_ago=timedelta(0), expires_in=timedelta(hours=12)),
            LoginAttempt(email="x@example.org", ip="192.0.2.9", at=now - timedelta(days=100), success=True),
            LoginAttempt(email="y@example.org", ip="192.0.2.9", at=now - timedelta(days=3), success=True),
        ]
    )
    db.commit()

    assert housekeeping(engine, settings, now) == 2
    assert housekeeping(engine, settings, now) == 0
    assert _session_names(db) == {"live"}
    db.commit()  # end the read transaction: SQLite keeps one snapshot per transaction
    db.expire_all()
    assert [a.email for a in db.exec(select(LoginAttempt))] == ["y@example.org"]


def test_run_job_runs_housekeeping_under_its_lock(
    engine: Engine, settings: Settings, db: Session, cast: Cast
) -> None:
    assert cast.admin.id is not None
    db.add(
        _session(cast.admin.id, "expired", last_seen_ago=timedelta(hours=13), expires_in=-timedelta(hours=1))
    )
    db.commit()
    job = next(j for j in JOBS if j.name == "housekeeping")
    now = utcnow()
    with held_elsewhere(engine, job):
        assert run_job(engine, settings, job, now) is None
    assert _session_names(db) == {"expired"}
    assert run_job(engine, settings, job, now) == 1
    assert _session_names(db) == set()
    assert holder_id()  # the holder of the scheduler's own runs: host and process


# The scheduler in the web process


def test_the_app_starts_no_scheduler_unless_asked(
    app: Litestar, settings: Settings, db: Session, cast: Cast
) -> None:
    assert settings.run_scheduler is False
    assert cast.admin.id is not None
    db.add(
        _session(cast.admin.id, "expired", last_seen_ago=timedelta(hours=13), expires_in=-timedelta(hours=1))
    )
    db.commit()
    with new_client(app) as client:
        assert client.get("/healthz").status_code == 200
        assert _scheduler_threads() == []
        time.sleep(0.5)
        assert _session_names(db) == {"expired"}  # no housekeeping ran
    assert _scheduler_threads() == []


def test_the_app_runs_the_scheduler_when_asked_and_stops_it_on_shutdown(
    engine: Engine, settings: Settings, db: Session, cast: Cast
) -> None:
    assert cast.admin.id is not None
    db.add(
        _session(cast.admin.id, "expired", last_seen_ago=timedelta(hours=13), expires_in=-timedelta(hours=1))
    )
    db.add(_session(cast.admin.id, "live", last_seen_ago=timedelta(0), expires_in=timedelta(hours=12)))
    db.commit()
    assert _scheduler_threads() == []

    scheduling_app = create_app(settings.with_(run_scheduler=True), engine)
    with new_client(scheduling_app) as client:
        assert _scheduler_threads() == [SCHEDULER_THREAD]
        # The housekeeping job runs once at start.
        assert _wait_until(lambda: _session_names(db) == {"live"}), _session_names(db)
        assert _wait_until(lambda: _leases(db) == [])  # and lets go of its lease
        assert client.get("/healthz").status_code == 200
    assert _wait_until(lambda: _scheduler_threads() == [], timeout=5), _scheduler_threads()


def test_the_in_process_scheduler_scans_an_ingested_batch_at_once(
    engine: Engine, settings: Settings, db: Session, listed: Cast
) -> None:
    headers = token_for(db, listed.dept_a.id)
    scheduling_app = create_app(settings.with_(run_scheduler=True), engine)
    with new_client(scheduling_app) as client:
        # Its first scans run at start; the next periodic run is a minute away.
        # (The notifier keeps marks of its own.)
        assert _wait_until(lambda: {"deadline_scan", "event_scan"} <= _marks(db)), _marks(db)
        off_list = {"case": "X-1", "type": "received", "at": "2026-03-02T09:00:00", "power": "NOT-LISTED"}
        response = client.post("/api/v1/events", json={"events": [off_list]}, headers=headers)
        assert response.json()["stored"] == 1
        # A minute before the next periodic run: only the batch's own trigger can have found it.
        assert _wait_until(lambda: "off_list_power" in _kinds(db), timeout=15), _kinds(db)


def _marks(db: Session) -> set[str]:
    db.commit()
    return {m.name for m in db.exec(select(ScanMark))}


def _kinds(db: Session) -> list[str]:
    db.commit()
    return [f.kind for f in db.exec(select(Flag))]


def test_scheduler_once_refuses_to_run_while_a_scheduler_holds_a_scan(
    engine: Engine, tracker: Tracker, migrated_template: Path
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    job = next(j for j in JOBS if j.name == "deadline_scan")
    with held_elsewhere(engine, job):
        result = tracker("scheduler", "once", TRACKER_DATABASE_URL=url)
    assert "running its deadline_scan" in one_line_error(result)
    again = tracker("scheduler", "once", TRACKER_DATABASE_URL=url)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == []  # free again, and nothing to flag
