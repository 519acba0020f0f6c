"""The database-backed rate limiter: exact counts per window, shared across connections and threads."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from powerlists.models import Department
from tracker.throttle import Throttle, allow, client_bucket, prune, window_start

MINUTE = timedelta(minutes=1)
NOON = datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC)


def hits_of(engine: Engine, bucket: str) -> dict[datetime, int]:
    table = Throttle.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.window_start, table.c.hits).where(table.c.bucket == bucket)).all()
    return {start: hits for start, hits in rows}


def test_the_limit_allows_exactly_limit_hits_in_a_window_and_refuses_the_next(engine: Engine) -> None:
    answers = [allow(engine, "rate:203.0.113.7", limit=3, window=MINUTE, now=NOON) for _ in range(5)]
    assert answers == [True, True, True, False, False]
    # Refused hits still count: a client hammering a closed window does not reopen it.
    assert hits_of(engine, "rate:203.0.113.7") == {datetime(2026, 3, 2, 12, 0, tzinfo=UTC): 5}


def test_hits_anywhere_in_one_window_share_its_count(engine: Engine) -> None:
    first, last = (
        datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 12, 0, 59, 999999, tzinfo=UTC),
    )
    assert allow(engine, "b", limit=1, window=MINUTE, now=first)
    assert not allow(engine, "b", limit=1, window=MINUTE, now=last)


def test_a_new_window_starts_afresh(engine: Engine) -> None:
    for _ in range(2):
        allow(engine, "b", limit=2, window=MINUTE, now=NOON)
    assert not allow(engine, "b", limit=2, window=MINUTE, now=NOON)
    assert allow(engine, "b", limit=2, window=MINUTE, now=NOON + MINUTE)
    assert hits_of(engine, "b") == {
        datetime(2026, 3, 2, 12, 0, tzinfo=UTC): 3,
        datetime(2026, 3, 2, 12, 1, tzinfo=UTC): 1,
    }


def test_the_window_is_floored_in_utc_whatever_the_time_zone_of_now() -> None:
    shanghai = datetime(2026, 3, 2, 20, 7, 45, tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    assert window_start(shanghai, timedelta(minutes=15)) == datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    assert window_start(shanghai, timedelta(days=1)) == datetime(2026, 3, 2, tzinfo=UTC)


def test_a_naive_time_or_an_empty_window_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        window_start(datetime(2026, 3, 2, 12, 0), MINUTE)
    with pytest.raises(ValueError, match="positive"):
        window_start(NOON, timedelta(0))


def test_buckets_are_counted_apart(engine: Engine) -> None:
    assert allow(engine, "rate:203.0.113.7", limit=1, window=MINUTE, now=NOON)
    assert not allow(engine, "rate:203.0.113.7", limit=1, window=MINUTE, now=NOON)
    assert allow(engine, "rate:203.0.113.8", limit=1, window=MINUTE, now=NOON)
    assert allow(engine, "complain:203.0.113.7", limit=1, window=MINUTE, now=NOON)


def test_a_hit_counts_even_when_the_callers_transaction_rolls_back(engine: Engine) -> None:
    with Session(engine) as db:
        # As a handler does: the hit first, then its own writes, which then fail.
        assert allow(engine, "rate:203.0.113.7", limit=5, window=MINUTE, now=NOON)
        db.add(Department(code="lost", name="丢失", name_en="Lost", phone="0"))
        db.flush()
        db.rollback()
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(Department)) == 0
    assert hits_of(engine, "rate:203.0.113.7") == {datetime(2026, 3, 2, 12, 0, tzinfo=UTC): 1}


def test_concurrent_hits_from_several_threads_are_all_counted(engine: Engine) -> None:
    threads, per_thread, limit = 8, 10, 50
    start = threading.Barrier(threads)
    allowed: list[int] = []
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            start.wait()
            allowed.append(
                sum(
                    allow(engine, "rate:busy", limit=limit, window=MINUTE, now=NOON)
                    for _ in range(per_thread)
                )
            )
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert errors == []
    assert hits_of(engine, "rate:busy") == {datetime(2026, 3, 2, 12, 0, tzinfo=UTC): threads * per_thread}
    # Each count is handed to exactly one hit, so exactly `limit` of them got through.
    assert sum(allowed) == limit


def test_prune_deletes_only_windows_older_than_the_cut(engine: Engine) -> None:
    for minutes in range(4):
        allow(engine, "b", limit=9, window=MINUTE, now=NOON + minutes * MINUTE)
    allow(engine, "c", limit=9, window=MINUTE, now=NOON)
    cut = datetime(2026, 3, 2, 12, 2, tzinfo=UTC)
    assert prune(engine, before=cut) == 3  # b at 12:00 and 12:01, c at 12:00
    assert sorted(hits_of(engine, "b")) == [cut, cut + MINUTE]
    assert hits_of(engine, "c") == {}
    assert prune(engine, before=cut) == 0


def test_client_bucket_groups_an_ipv6_64_and_keys_ipv4_by_address() -> None:
    assert client_bucket("rate", "203.0.113.7") == "rate:203.0.113.7"
    assert client_bucket("rate", "203.0.113.8") != client_bucket("rate", "203.0.113.7")
    assert client_bucket("rate", "2001:db8:1:2::1") == "rate:2001:db8:1:2::/64"
    assert client_bucket("rate", "2001:DB8:1:2:ffff:ffff:ffff:ffff") == "rate:2001:db8:1:2::/64"
    assert client_bucket("rate", "2001:db8:1:3::1") == "rate:2001:db8:1:3::/64"
    assert client_bucket("complain", "2001:db8:1:2::1") == "complain:2001:db8:1:2::/64"


def test_an_ipv4_client_behind_an_ipv6_socket_keeps_its_own_bucket() -> None:
    # As a /64 every IPv4-mapped address would fall into one bucket: ::ffff:0:0/64.
    assert client_bucket("rate", "::ffff:203.0.113.7") == "rate:203.0.113.7"
    assert client_bucket("rate", "::ffff:198.51.100.1") == "rate:198.51.100.1"


def test_a_client_that_is_not_an_address_is_keyed_by_its_name_within_the_column() -> None:
    assert client_bucket("rate", "testclient") == "rate:testclient"
    assert len(client_bucket("rate", "x" * 500)) == 200
    assert client_bucket("rate", "fe80::1%eth0") == "rate:fe80::/64"


def test_a_bucket_longer_than_the_column_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="longer than 200"):
        allow(engine, "x" * 201, limit=1, window=MINUTE, now=NOON)
    assert hits_of(engine, "x" * 201) == {}
