"""The tamper-evident record: what is appended, and how `tracker audit verify` names each break."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, func, select

from tests.builders import build, item_row
from tests.conftest import Cast, Tracker
from tests.test_cases_ingest import NOW, received, send
from tests.test_flag_review import do
from tests.test_powerlist_pages import publish_draft, upload
from tracker.audit import checkpoints, keys
from tracker.audit.chain import GENESIS, Change, append, canonical, check_chain, entry_hash, head
from tracker.audit.models import AuditCheckpoint, AuditEntry, PublishedExport
from tracker.db import session_factory
from tracker.flags.models import Flag
from tracker.flags.scans import deadline_scan
from tracker.settings import Settings
from tracker.web import transparency


def entries(db: Session) -> list[AuditEntry]:
    db.rollback()  # a fresh snapshot: the tests change rows behind the session's back
    return list(db.exec(select(AuditEntry).order_by(AuditEntry.seq)))  # type: ignore[arg-type]


def some_entries(db: Session, n: int = 5, at: datetime = NOW) -> None:
    for i in range(n):
        append(db, [Change("note", str(i + 1), {"i": i + 1, "text": f"第{i + 1}条"})], at=at)
    db.commit()


def problems(db: Session, settings: Settings) -> list[tuple[int, str]]:
    db.rollback()
    public = keys.signing_key(settings.audit_key_file).public_key()
    return [(p.seq, p.code) for p in checkpoints.verify(db, public).problems]


def sign(db: Session, settings: Settings, at: datetime = NOW) -> AuditCheckpoint:
    signed = checkpoints.checkpoint(db, keys.signing_key(settings.audit_key_file), at)
    assert signed is not None
    db.commit()
    return signed


def sql(engine: Engine, statement: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement), params)


def cli_env(engine: Engine, settings: Settings) -> dict[str, str]:
    """What `tracker` needs to work on the tests' database with the tests' signing key."""
    return {
        "TRACKER_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "TRACKER_AUDIT_KEY_FILE": str(settings.audit_key_file),
    }


# --- what is appended ----------------------------------------------------------------------------


def test_entries_are_numbered_without_gaps_and_each_hash_chains_the_one_before(db: Session) -> None:
    some_entries(db, 3)
    rows = entries(db)
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == GENESIS
    for before, row in zip([None, *rows], rows, strict=False):
        prev = before.hash if before else GENESIS
        assert row.prev_hash == prev
        assert row.hash == entry_hash(row.seq, prev, row.body)
    assert json.loads(rows[1].body) == {"kind": "note", "ref": "2", "record": {"i": 2, "text": "第2条"}}
    assert head(db) == (3, rows[2].hash)


def test_the_canonical_json_sorts_keys_and_writes_times_in_utc() -> None:
    assert canonical({"b": 1, "a": NOW, "c": "中"}) == '{"a":"2026-11-26T04:00:00+00:00","b":1,"c":"中"}'


def test_a_rolled_back_transaction_leaves_no_gap(db: Session) -> None:
    some_entries(db, 2)
    append(db, [Change("note", "lost", {})], at=NOW)
    db.rollback()
    some_entries(db, 1)
    assert [r.seq for r in entries(db)] == [1, 2, 3]
    assert check_chain(db).problems == []


def test_stored_events_flags_actions_and_publications_are_recorded_in_their_transaction(
    db: Session, listed: Cast
) -> None:
    before = head(db)[0]  # the list published by the fixture is not recorded: it bypasses the web
    send(
        db,
        listed.dept_a.id,
        received("C-1"),
        {"case": "C-1", "type": "accepted", "at": "2026-03-02T10:00:00"},
    )
    flags = deadline_scan(db, NOW)
    db.commit()
    assert flags, "the case of March 2026 is overdue in November"
    flag = db.exec(select(Flag)).first()
    assert flag is not None
    do(db, flag, "request_explanation", listed.supervisor, "请说明")
    recorded = entries(db)[before:]
    kinds = [r.kind for r in recorded]
    assert kinds == ["case_events", "flags", "flag_action"]
    events = json.loads(recorded[0].body)["record"]
    assert events["columns"][:3] == ["case", "case_id", "type"]
    assert [row[::2][:2] for row in events["rows"]] == [["C-1", "received"], ["C-1", "accepted"]]
    raised = json.loads(recorded[1].body)["record"]
    kind = raised["columns"].index("kind")
    assert {row[kind] for row in raised["rows"]} == {f.kind for f in flags}
    action = json.loads(recorded[2].body)["record"]
    assert action["action"] == "request_explanation" and action["text"] == "请说明"


def test_rejected_events_append_nothing(db: Session, listed: Cast) -> None:
    before = head(db)
    send(db, listed.dept_a.id, {"case": "C-9", "type": "no_such_type", "at": "2026-03-02T09:00:00"})
    assert head(db) == before


def test_concurrent_writers_never_share_a_number(engine: Engine, db: Session) -> None:
    def writer(w: int) -> None:
        with session_factory(engine)() as own:
            for i in range(15):
                append(own, [Change("note", f"{w}.{i}", {"w": w, "i": i})], at=NOW)
                own.commit()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = check_chain(db)
    assert report.problems == [] and report.entries == 90 and head(db)[0] == 90


# --- power-list publications ----------------------------------------------------------------


def newest_entry(db: Session) -> tuple[str, str, dict[str, Any]]:
    last = entries(db)[-1]
    return last.kind, last.ref, json.loads(last.body)["record"]


def assert_publication_recorded(db: Session, source: Path, codes: list[str]) -> dict[str, Any]:
    """The newest entry is version 1 of department A's list, as imported from ``source``."""
    kind, ref, record = newest_entry(db)
    assert (kind, ref) == ("power_list", "dept-a/1")
    assert (record["department"], record["version"], record["effective_from"]) == ("dept-a", 1, "2026-01-01")
    assert (record["source_name"], record["source_sha256"]) == (
        source.name,
        sha256(source.read_bytes()).hexdigest(),
    )
    assert [item["code"] for item in record["items"]] == codes
    assert record["items"][0]["name"] == "食品经营许可"
    return record


def test_a_list_published_on_the_web_is_recorded_in_the_audit_log(
    db: Session, settings: Settings, cast: Cast, as_op_a: TestClient[Litestar], tmp_path: Path
) -> None:
    some_entries(db, 2)
    sign(db, settings)
    source = build(
        tmp_path / "清单.xlsx",
        rows=[item_row("XK-1", "食品经营许可"), item_row("XK-2", "药品经营许可")],
        steps=[["XK-1", 1, "受理", "1个工作日", "窗口"]],
    )
    assert upload(as_op_a, source, effective="2026-01-01").status_code == 200
    assert head(db)[0] == 2  # a draft is not recorded: only what the public sees
    assert publish_draft(as_op_a, db).status_code == 302
    record = assert_publication_recorded(db, source, ["XK-1", "XK-2"])
    assert record["items"][0]["steps"][0]["name"] == "受理" and head(db)[0] == 3
    assert problems(db, settings) == []


def test_a_list_imported_with_the_cli_is_recorded_in_the_audit_log_which_still_verifies(
    db: Session, engine: Engine, settings: Settings, cast: Cast, tracker: Tracker, tmp_path: Path
) -> None:
    some_entries(db, 2)
    sign(db, settings)
    env = cli_env(engine, settings)
    source = build(
        tmp_path / "list.xlsx", rows=[item_row("XK-1", "食品经营许可"), item_row("CF-1", "处罚", "行政处罚")]
    )
    dry = tracker("powerlist", "import", str(source), "--department", "dept-a", "--dry-run", **env)
    assert dry.returncode == 0, dry.stderr
    assert head(db)[0] == 2  # a dry run records nothing
    args = ("powerlist", "import", str(source), "--department", "dept-a", "--effective", "2026-01-01")
    imported = tracker(*args, **env)
    assert imported.returncode == 0, imported.stderr
    assert_publication_recorded(db, source, ["XK-1", "CF-1"])
    verified = tracker("audit", "verify", **env)
    assert verified.returncode == 0, verified.stdout
    assert "3 entries" in verified.stdout and "The log verifies." in verified.stdout


# --- checkpoints -----------------------------------------------------------------------------


def test_a_checkpoint_signs_the_head_once_and_verifies_with_the_published_key(
    db: Session, settings: Settings, anon: TestClient[Litestar]
) -> None:
    some_entries(db, 4)
    signed = sign(db, settings)
    assert (signed.seq, signed.hash) == head(db)
    assert checkpoints.checkpoint(db, keys.signing_key(settings.audit_key_file), NOW) is None
    pem = anon.get("/transparency/key")
    assert pem.status_code == 200 and "BEGIN PUBLIC KEY" in pem.text
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    public = load_pem_public_key(pem.text.encode())
    assert keys.verifies(
        public, checkpoints.message(signed.seq, signed.hash, signed.signed_at), signed.signature
    )  # type: ignore[arg-type]
    assert pem.headers["x-key-id"] == signed.key_id


def test_the_key_is_generated_once_outside_the_database_readable_by_the_owner_only(
    settings: Settings,
) -> None:
    key = keys.signing_key(settings.audit_key_file)
    assert settings.audit_key_file.exists()
    assert oct(settings.audit_key_file.stat().st_mode & 0o777) == "0o600"
    again = keys.load_or_create(settings.audit_key_file)
    assert keys.key_id(again.public_key()) == keys.key_id(key.public_key())


# --- tamper detection ------------------------------------------------------------------------


def test_an_untouched_log_verifies(db: Session, settings: Settings) -> None:
    some_entries(db, 6)
    sign(db, settings)
    some_entries(db, 2)
    assert problems(db, settings) == []


def test_changing_one_entry_with_sql_names_that_entry(
    db: Session, engine: Engine, settings: Settings
) -> None:
    some_entries(db, 6)
    sql(engine, "UPDATE audit_entry SET body = replace(body, '第3条', '第33条') WHERE seq = 3")
    assert problems(db, settings) == [(3, "altered")]


def test_changing_and_rehashing_one_entry_names_the_entry_after_it(
    db: Session, engine: Engine, settings: Settings
) -> None:
    some_entries(db, 6)
    row = entries(db)[2]
    body = row.body.replace("第3条", "第33条")
    sql(
        engine,
        "UPDATE audit_entry SET body = :b, hash = :h WHERE seq = 3",
        b=body,
        h=entry_hash(3, row.prev_hash, body),
    )
    assert problems(db, settings) == [(4, "relinked")]


def test_deleting_one_entry_names_it(db: Session, engine: Engine, settings: Settings) -> None:
    some_entries(db, 6)
    sql(engine, "DELETE FROM audit_entry WHERE seq = 4")
    db.rollback()
    found = checkpoints.verify(db, keys.signing_key(settings.audit_key_file).public_key())
    assert [(p.seq, p.code) for p in found.problems] == [(5, "missing")]
    assert "Entry 4 is missing" in found.problems[0].text(lambda m: m)


def test_swapping_two_entries_names_both_and_the_one_after(
    db: Session, engine: Engine, settings: Settings
) -> None:
    some_entries(db, 6)
    sql(engine, "UPDATE audit_entry SET seq = -1 WHERE seq = 2")
    sql(engine, "UPDATE audit_entry SET seq = 2 WHERE seq = 3")
    sql(engine, "UPDATE audit_entry SET seq = 3 WHERE seq = -1")
    assert problems(db, settings) == [(2, "relinked"), (3, "relinked"), (4, "relinked")]


def test_deleting_the_last_entries_is_noticed_by_the_head_and_the_checkpoint(
    db: Session, engine: Engine, settings: Settings
) -> None:
    some_entries(db, 5)
    sign(db, settings)
    sql(engine, "DELETE FROM audit_entry WHERE seq = 5")
    assert problems(db, settings) == [(5, "missing"), (5, "checkpoint")]
    # Even with the head row put back in line, the signed checkpoint still remembers entry 5.
    row = entries(db)[-1]
    sql(engine, "UPDATE audit_head SET seq = 4, hash = :h", h=row.hash)
    assert problems(db, settings) == [(5, "checkpoint")]


def test_rewriting_the_whole_tail_consistently_is_caught_by_the_signed_checkpoint(
    db: Session, engine: Engine, settings: Settings
) -> None:
    some_entries(db, 6)
    sign(db, settings)
    prev = entries(db)[1].hash
    for row in entries(db)[2:]:  # rewrite entries 3–6 and their hashes, and the head: a perfect forgery
        body = row.body.replace("条", "項")
        digest = entry_hash(row.seq, prev, body)
        sql(
            engine,
            "UPDATE audit_entry SET body = :b, prev_hash = :p, hash = :h WHERE seq = :s",
            b=body,
            p=prev,
            h=digest,
            s=row.seq,
        )
        prev = digest
    sql(engine, "UPDATE audit_head SET hash = :h", h=prev)
    assert check_chain(db).problems == []
    assert problems(db, settings) == [(6, "checkpoint")]


def test_an_altered_checkpoint_does_not_verify(db: Session, engine: Engine, settings: Settings) -> None:
    some_entries(db, 3)
    signed = sign(db, settings)
    second = entries(db)[1]
    # Moved back to cover entry 2 only: the chain agrees, the signature does not.
    sql(engine, "UPDATE audit_checkpoint SET seq = 2, hash = :h WHERE id = :i", h=second.hash, i=signed.id)
    assert problems(db, settings) == [(2, "checkpoint")]


ALTER_2 = ["UPDATE audit_entry SET body = replace(body, '第2条', '第22条') WHERE seq = 2"]
DELETE_4 = ["DELETE FROM audit_entry WHERE seq = 4"]
SWAP_2_3 = [  # the same statements as the swap test above: through -1, as seq is the primary key
    "UPDATE audit_entry SET seq = -1 WHERE seq = 2",
    "UPDATE audit_entry SET seq = 2 WHERE seq = 3",
    "UPDATE audit_entry SET seq = 3 WHERE seq = -1",
]


@pytest.mark.parametrize(
    ("tamper", "entries_left", "lines", "found"),
    [
        (ALTER_2, 5, ["entry 2: Entry 2 (note 2) was altered"], [(2, "altered")]),
        (
            DELETE_4,
            4,
            ["entry 5: Entry 4 is missing: the log goes from entry 3 to entry 5."],
            [(5, "missing")],
        ),
        (
            SWAP_2_3,
            5,
            [
                "entry 2: Entry 2 (note 3) does not follow entry 1",
                "entry 3: Entry 3 (note 2) does not follow entry 2",
                "entry 4: Entry 4 (note 4) does not follow entry 3",
            ],
            [(2, "relinked"), (3, "relinked"), (4, "relinked")],
        ),
    ],
    ids=["an altered entry", "a deleted entry", "two swapped entries"],
)
def test_tracker_audit_verify_exits_non_zero_naming_the_entry(
    db: Session,
    engine: Engine,
    settings: Settings,
    tracker: Tracker,
    tamper: list[str],
    entries_left: int,
    lines: list[str],
    found: list[tuple[int, str]],
) -> None:
    some_entries(db, 5)
    sign(db, settings)
    env = cli_env(engine, settings)
    clean = tracker("audit", "verify", **env)
    assert clean.returncode == 0, clean.stderr
    assert "5 entries" in clean.stdout and "The log verifies." in clean.stdout
    for statement in tamper:
        sql(engine, statement)
    broken = tracker("audit", "verify", **env)
    assert broken.returncode == 1
    assert all(line in broken.stdout for line in lines), broken.stdout
    assert "The log does NOT verify." in broken.stdout
    as_json = tracker("audit", "verify", "--format", "json", **env)
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False and report["entries"] == entries_left
    assert [(p["seq"], p["code"]) for p in report["problems"]] == found
    # The same message as the text's line, after its "entry N: ".
    messages = [p["message"] for p in report["problems"]]
    assert all(m.startswith(line.split(": ", 1)[1]) for m, line in zip(messages, lines, strict=True))


def test_the_transparency_page_says_which_entry_breaks(
    db: Session, engine: Engine, settings: Settings, anon: TestClient[Litestar]
) -> None:
    transparency._cached.clear()
    some_entries(db, 4)
    sign(db, settings)
    page = anon.get("/transparency")
    assert page.status_code == 200 and "The record verifies: 4 entries, 1 signed checkpoints." in page.text
    assert page.headers["content-type"].startswith("text/html")  # not the JSON twin's type
    sql(engine, "DELETE FROM audit_entry WHERE seq = 2")
    transparency._cached.clear()
    page = anon.get("/transparency")
    assert "The record does NOT verify." in page.text and "Entry 2 is missing" in page.text
    twin = anon.get("/transparency?format=json").json()
    assert twin["ok"] is False and twin["problems"][0]["seq"] == 3


# --- published exports ---------------------------------------------------------------------------


def run_readme_script(
    tmp_path: Path, content: bytes, proof: dict[str, Any], pem: str
) -> subprocess.CompletedProcess[str]:
    """The README's offline check, run as a reader would: the file, its proof, the public key."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    script = readme.split("<!-- verify_export.py -->\n```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "verify_export.py").write_text(script, encoding="utf-8")
    (tmp_path / "export.bin").write_bytes(content)
    (tmp_path / "export.proof.json").write_text(json.dumps(proof), encoding="utf-8")
    (tmp_path / "key.pem").write_text(pem, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "verify_export.py", "export.bin", "export.proof.json", "key.pem"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_published_export_carries_a_proof_checkable_offline_with_the_readme_script(
    db: Session, settings: Settings, tmp_path: Path, anon: TestClient[Litestar]
) -> None:
    some_entries(db, 2)
    content = "部门,按时率\nA,0.98\n".encode()
    key = keys.signing_key(settings.audit_key_file)
    proof = checkpoints.publish(db, key, "scorecards-2026-10.csv", content, NOW)
    db.commit()
    pem = anon.get("/transparency/key").text
    ok = run_readme_script(tmp_path, content, proof, pem)
    assert ok.returncode == 0 and "OK: scorecards-2026-10.csv is entry 3" in ok.stdout, ok.stderr
    bad = run_readme_script(tmp_path, content.replace(b"0.98", b"0.99"), proof, pem)
    assert bad.returncode != 0 and "does not match" in bad.stderr
    assert problems(db, settings) == []
    assert db.exec(select(func.count()).select_from(AuditCheckpoint)).one() == 1


def test_a_power_list_download_is_published_once_and_served_with_its_proof(
    db: Session, listed: Cast, tmp_path: Path, anon: TestClient[Litestar]
) -> None:
    path = f"/departments/{listed.dept_a.code}/powerlist.xlsx"
    first, second = anon.get(path), anon.get(path)
    assert first.status_code == 200 and first.content == second.content
    assert first.headers["x-audit-entry"] == second.headers["x-audit-entry"]
    proof_path = first.headers["link"].split(">")[0].lstrip("<")
    proof = anon.get(proof_path).json()
    assert proof["entry"]["seq"] == int(first.headers["x-audit-entry"])
    ok = run_readme_script(tmp_path, first.content, proof, anon.get("/transparency/key").text)
    assert ok.returncode == 0, ok.stderr
    db.rollback()
    names = list(db.exec(select(PublishedExport.name)))
    assert names == [f"powerlist/{listed.dept_a.code}/v1/en.xlsx"]
    # Another language is another file, with its own entry.
    chinese = anon.get(path, headers={"accept-language": "zh-CN"})
    assert chinese.headers["x-audit-entry"] != first.headers["x-audit-entry"]
    listing = anon.get("/transparency?format=json").json()
    assert {e["entry"] for e in listing["published_exports"]} == {
        int(first.headers["x-audit-entry"]),
        int(chinese.headers["x-audit-entry"]),
    }
