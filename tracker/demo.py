"""Demo data: a realistic municipal region, built idempotently.

``small`` is the region the demo shows; ``large`` adds district departments and the benchmark
dataset: a million more cases, written in bulk (``tracker.demo_bulk``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select
from sqlmodel import col

from powerlists.columns import utcnow
from powerlists.importer import latest_published, write_version
from powerlists.models import Department, ListStatus
from tracker.accounts.models import Role, User
from tracker.accounts.passwords import hash_password
from tracker.audit.records import record_publication
from tracker.calendar_store import load_calendar
from tracker.db import session_scope
from tracker.scorecards.refresh import Refreshed, refresh

CITY_DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("fgw", "示范市发展和改革委员会", "Demo City Development and Reform Commission"),
    ("jyj", "示范市教育局", "Demo City Education Bureau"),
    ("kjj", "示范市科学技术局", "Demo City Science and Technology Bureau"),
    ("gxj", "示范市工业和信息化局", "Demo City Bureau of Industry and Information Technology"),
    ("gaj", "示范市公安局", "Demo City Public Security Bureau"),
    ("mzj", "示范市民政局", "Demo City Civil Affairs Bureau"),
    ("sfj", "示范市司法局", "Demo City Justice Bureau"),
    ("czj", "示范市财政局", "Demo City Finance Bureau"),
    ("rsj", "示范市人力资源和社会保障局", "Demo City Human Resources and Social Security Bureau"),
    ("zrzyj", "示范市自然资源和规划局", "Demo City Natural Resources and Planning Bureau"),
    ("sthjj", "示范市生态环境局", "Demo City Ecology and Environment Bureau"),
    ("zjj", "示范市住房和城乡建设局", "Demo City Housing and Urban-Rural Development Bureau"),
    ("jtj", "示范市交通运输局", "Demo City Transport Bureau"),
    ("slj", "示范市水利局", "Demo City Water Resources Bureau"),
    ("nyj", "示范市农业农村局", "Demo City Agriculture and Rural Affairs Bureau"),
    ("swj", "示范市商务局", "Demo City Commerce Bureau"),
    ("wlj", "示范市文化广电旅游局", "Demo City Culture, Radio, Television and Tourism Bureau"),
    ("wjw", "示范市卫生健康委员会", "Demo City Health Commission"),
    ("tyjrj", "示范市退役军人事务局", "Demo City Veterans Affairs Bureau"),
    ("yjj", "示范市应急管理局", "Demo City Emergency Management Bureau"),
    ("sjj", "示范市审计局", "Demo City Audit Bureau"),
    ("scjgj", "示范市市场监督管理局", "Demo City Market Regulation Administration"),
    ("tjj", "示范市统计局", "Demo City Statistics Bureau"),
    ("ybj", "示范市医疗保障局", "Demo City Healthcare Security Bureau"),
    ("lyj", "示范市林业局", "Demo City Forestry Bureau"),
    ("rfb", "示范市人民防空办公室", "Demo City Civil Air Defence Office"),
    ("cgj", "示范市城市管理局", "Demo City Urban Management Bureau"),
    ("zwfwj", "示范市政务服务管理局", "Demo City Government Services Administration"),
    ("dsjj", "示范市大数据局", "Demo City Big Data Bureau"),
    ("xfzd", "示范市消防救援支队", "Demo City Fire and Rescue Detachment"),
)
DISTRICTS: tuple[tuple[str, str, str], ...] = (
    ("dc", "东城区", "Dongcheng District"),
    ("xc", "西城区", "Xicheng District"),
    ("nc", "南城区", "Nancheng District"),
    ("bc", "北城区", "Beicheng District"),
    ("gx", "高新区", "High-Tech Zone"),
    ("jk", "经开区", "Economic Development Zone"),
    ("hb", "湖滨区", "Hubin District"),
    ("sh", "山海区", "Shanhai District"),
    ("ly", "临江县", "Linjiang County"),
    ("qs", "青山县", "Qingshan County"),
    ("bs", "白沙县", "Baisha County"),
    ("yh", "玉河县", "Yuhe County"),
)
PHONE_PREFIX = "0571-8800"
LARGE_CASES = 1_000_000  # the benchmark dataset's cases (tracker.demo_bulk)
# In force before the year of demo cases begins, so every case finds its list.
DEMO_LIST_EFFECTIVE = date(2025, 1, 1)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: Role
    department: str
    password: str


DEMO_ADMIN = DemoAccount("admin@demo.gov.cn", Role.admin, "", "demo-admin-2026")
DEMO_SUPERVISOR = DemoAccount("supervisor@demo.gov.cn", Role.supervisor, "", "demo-supervisor-2026")
OPERATOR_PASSWORD = "demo-operator-2026"  # noqa: S105 - printed demo credentials


def _operator(code: str) -> DemoAccount:
    return DemoAccount(f"{code}@demo.gov.cn", Role.operator, code, OPERATOR_PASSWORD)


def demo_accounts() -> list[DemoAccount]:
    return [DEMO_ADMIN, DEMO_SUPERVISOR, *(_operator(code) for code, _n, _e in CITY_DEPARTMENTS)]


def _city_rows() -> list[dict[str, object]]:
    return [
        {
            "code": code,
            "name": name,
            "name_en": name_en,
            "phone": f"{PHONE_PREFIX}{i:04d}",
            "website": f"https://{code}.demo.gov.cn",
            "parent_id": None,
        }
        for i, (code, name, name_en) in enumerate(CITY_DEPARTMENTS, start=1)
    ]


def _district_rows(city_ids: dict[str, int]) -> list[dict[str, object]]:
    rows = []
    for d_code, d_name, d_name_en in DISTRICTS:
        for code, name, name_en in CITY_DEPARTMENTS:
            rows.append(
                {
                    "code": f"{d_code}-{code}",
                    "name": name.replace("示范市", d_name),
                    "name_en": name_en.replace("Demo City", d_name_en),
                    "phone": "",
                    "website": "",
                    "parent_id": city_ids[code],
                }
            )
    return rows


def _insert_missing(engine: Engine, rows: list[dict[str, object]]) -> int:
    """Bulk-insert the departments whose code is not there yet (Core executemany, not ORM adds)."""
    table = Department.__table__  # type: ignore[attr-defined]
    now = utcnow()
    with engine.begin() as conn:
        existing = set(conn.execute(select(table.c.code)).scalars())
        missing = [{**row, "created_at": now} for row in rows if row["code"] not in existing]
        if missing:
            conn.execute(insert(table), missing)
    return len(missing)


def _publish_power_lists(engine: Engine, city_ids: dict[str, int]) -> int:
    """Version 1 of the demo list of every city department that has no published list yet."""
    from tracker.demo_powers import demo_items  # the catalogue imports this module

    published = 0
    now = utcnow()
    with session_scope(engine) as db:
        for code, _name, _name_en in CITY_DEPARTMENTS:
            department_id = city_ids[code]
            if latest_published(db, department_id) is not None:
                continue
            power_list = write_version(
                db,
                department_id,
                demo_items(code),
                status=ListStatus.published,
                effective=DEMO_LIST_EFFECTIVE,
                source_name="demo",
                sha256="",
                imported_by_id=None,
                now=now,
            )
            record_publication(db, power_list, now)
            published += 1
    return published


def build_demo(
    engine: Engine,
    size: str = "small",
    progress: Callable[[str], None] = print,
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai"),
    cases: bool = True,
    large_cases: int = LARGE_CASES,
) -> list[DemoAccount]:
    """Create whatever part of the demo region is missing; returns the demo accounts."""
    added = _insert_missing(engine, _city_rows())
    progress(f"departments: {added} added, {len(CITY_DEPARTMENTS) - added} already there")
    table = Department.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        city_ids = {code: d_id for code, d_id in conn.execute(select(table.c.code, table.c.id))}
    if size == "large":
        added = _insert_missing(engine, _district_rows(city_ids))
        progress(f"district departments: {added} added")
    accounts = demo_accounts()
    # One hash per distinct password: argon2 is slow on purpose.
    hashes = {p: hash_password(p) for p in {a.password for a in accounts}}
    now = utcnow()
    created = 0
    with session_scope(engine) as db:
        existing = set(db.execute(select(col(User.email))).scalars())
        for account in accounts:
            if account.email in existing:
                continue
            db.add(
                User(
                    email=account.email,
                    display_name=account.email.split("@")[0],
                    password_hash=hashes[account.password],
                    role=account.role,
                    department_id=city_ids.get(account.department) if account.department else None,
                    created_at=now,
                )
            )
            created += 1
    progress(f"users: {created} added, {len(accounts) - created} already there")
    published = _publish_power_lists(engine, city_ids)
    progress(f"power lists: {published} published, {len(CITY_DEPARTMENTS) - published} already there")
    if cases:
        from tracker.demo_cases import build_demo_cases  # the case generator needs the lists above
        from tracker.demo_complaints import build_demo_complaints  # it imports this module

        build_demo_cases(engine, tz, progress)
        complaints = build_demo_complaints(engine, tz, progress)
        if size == "large":
            from tracker.demo_bulk import build_bulk_cases

            build_bulk_cases(engine, tz, total=large_cases, progress=progress)
        refreshed = refresh_demo_scorecards(engine, tz, complaints.months)
        progress(f"scorecards: {len(refreshed.months)} months, {refreshed.scorecards} scorecards")
    return accounts


def refresh_demo_scorecards(engine: Engine, tz: ZoneInfo, months: set[str]) -> Refreshed:
    """The public pages' figures at once, without waiting for the scheduler's hourly refresh.

    ``months`` (those of complaints just filed) are refreshed even when the last refresh came
    after them: complaints added to a demo built before there were any are dated in the past,
    where the refresh no longer looks."""
    with session_scope(engine) as db:
        now, cal = utcnow(), load_calendar(db)
        touched = refresh(db, now, cal, tz)
        missed = sorted(months - set(touched.months))
        if not missed:
            return touched
        again = refresh(db, now, cal, tz, months=missed)
        return Refreshed(sorted({*touched.months, *missed}), touched.scorecards + again.scorecards)
