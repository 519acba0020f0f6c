"""A year of demo complaints (投诉), filed and handled through the same functions as real ones.

A few dozen complaints about the city departments, in a realistic mix: some still waiting for the
supervisors (two past their deadline), some declined with a reason, most accepted and reviewed,
at every stage of the review. Each complaint's moments follow one another and end before now.

Planned with a generator of its own (``random.Random("demo-complaints")``), so that the rest of
the demo stays as it was; like the cases, a department that has complaints already is skipped, so
running the demo again adds none and fills in what an interrupted run left out.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from powerlists.columns import utcnow
from powerlists.importer import latest_published
from powerlists.models import Department, PowerItem
from tracker.accounts.models import User
from tracker.calendar import WorkCalendar
from tracker.calendar_store import load_calendar
from tracker.cases.models import Case
from tracker.complaints import handling
from tracker.complaints.intake import Filed, file_complaint
from tracker.complaints.models import Complaint
from tracker.db import begin_writing, session_scope
from tracker.demo import CITY_DEPARTMENTS, DEMO_SUPERVISOR
from tracker.flags.attachments import Upload
from tracker.flags.review import act
from tracker.scorecards.periods import month_key
from tracker.sla import add_working_days, working_day_before
from tracker.thresholds import Thresholds, load_thresholds

# Where people apply for something (a licence, a certificate, a benefit), and where they are
# inspected or fined: the powers a complaint of each kind can be about.
APPLIED = frozenset({"licensing", "confirmation", "payment", "public_service", "reward"})
ENFORCED = frozenset({"penalty", "inspection", "coercion"})
NO_FILES: Sequence[Upload] = ()  # with no files, file_complaint never opens the data directory


@dataclass(frozen=True)
class Topic:
    """What a complaint says, and what each side writes in its review. ``{item}`` is the power's
    name, or a general word when the complaint names no power."""

    what: str
    categories: frozenset[str]  # the powers it can name; empty: a power not on the list
    ask: str  # the supervisor's request for an explanation
    admitted: str  # the department's reply when the complaint is founded
    denied: str  # ... and when it is not
    upheld: str  # the supervisor's confirmation of the violation
    rectified: str  # the department's rectification report
    not_upheld: str  # the supervisor's dismissal


TOPICS: tuple[Topic, ...] = (
    Topic(
        what=(
            "办理{item}时，窗口工作人员要求提供房屋产权证明和无犯罪记录证明，这两项都不在公布的"
            "申请材料清单里。没有这两份材料就不给受理，我只好回去开证明，前后多跑了两趟。"
        ),
        categories=APPLIED,
        ask="请说明受理时要求申请人补充的材料及其依据，并提供当日的受理记录。",
        admitted="经查，当日窗口人员仍按旧版材料目录告知申请人补充材料，新版清单已取消上述两项证明。",
        denied="经调取受理记录，窗口要求补充的是清单所列材料的原件，并非清单外材料。",
        upheld="要求提供清单外材料属实，违反权力清单和一次性告知的规定。请按公布的清单统一收件，并对窗口人员开展培训。",
        rectified="已收回窗口的旧版材料目录，重新印发办事指南；组织窗口人员培训一次，已电话向投诉人致歉，其申请已于次日受理。",
        not_upheld="经核查，窗口要求补充的是清单所列材料的原件，不属于清单外材料，已向投诉人说明。",
    ),
    Topic(
        what=(
            "我提交的{item}申请，窗口承诺5个工作日办结，现在已经过去三个星期还没有结果。"
            "打电话询问只说还在审核，也说不清卡在哪个环节。"
        ),
        categories=APPLIED,
        ask="请说明该申请的办理经过、各环节用时，以及超过承诺时限的原因。",
        admitted="该申请在审查环节需要现场核查，因核查人员外出未及时安排，超过了承诺时限，现已办结。",
        denied="该申请因申请人补正材料中止计时，扣除补正时间后未超过承诺时限。",
        upheld="超过承诺时限未办结且未告知申请人原因，属实。请整改，并建立到期前的预警机制。",
        rectified="已为审查环节设置到期前两个工作日的提醒，现场核查改为按周排班；本月已无超期件。",
        not_upheld="经核查，该申请依法中止计时，扣除补正材料的时间后未超过承诺时限，已向投诉人说明。",
    ),
    Topic(
        what=(
            "办理{item}时被收了50元工本费，我要发票，工作人员说没有票据，只给了一张手写的收据。"
            "公布的清单上写的是不收费。"
        ),
        categories=APPLIED,
        ask="请说明是否收取了该笔费用、收费依据，以及票据开具情况。",
        admitted="经查，窗口代收了制证单位的工本费，未开具财政票据；该项收费不在清单所列收费项目中。",
        denied="经查，该笔费用是申请人自愿选择的邮寄费，由快递公司收取并开具了票据。",
        upheld="收取清单外费用且未开具票据，属实。请退还费用、停止代收，并报告整改情况。",
        rectified="已将50元全额退还投诉人并取得其确认；窗口已停止代收工本费，相关情况已在全局通报。",
        not_upheld="经核查，该笔费用是快递公司收取的邮寄费，不属于部门收费，已向投诉人说明。",
    ),
    Topic(
        what=(
            "在窗口咨询{item}怎么办理，工作人员很不耐烦，问两句就说“自己看墙上的告示”，"
            "需要什么材料也没有一次讲清楚，第二天再去又换了一种说法。"
        ),
        categories=APPLIED,
        ask="请调取当日窗口录像和服务记录，说明接待情况。",
        admitted="经调阅当日录像，该工作人员接待时确有语气生硬、未一次性告知所需材料的情况。",
        denied="经调阅当日录像，窗口人员按规定解答了咨询，并出具了一次性告知单。",
        upheld="服务态度生硬、未一次性告知，属实。请对当事人进行教育，并落实一次性告知制度。",
        rectified="已约谈当事人并暂停其窗口岗位一个月；窗口增设一次性告知单，由办事人签字确认。",
        not_upheld="经调阅录像，未见态度生硬或未一次性告知的情况，已向投诉人反馈核查结果。",
    ),
    Topic(
        what=(
            "执法人员到我们店里检查，口头要求我们停业整改三天，没有出示任何书面文书。"
            "我们查了贵单位公布的权力清单，没有找到对应的事项。"
        ),
        categories=frozenset(),
        ask="请说明该次检查和责令停业的法律依据，以及对应的权力清单事项。",
        admitted="该次检查系配合属地开展的联合检查，口头责令停业未制作书面文书，确无对应的清单事项。",
        denied="该次检查依据的是清单所列的行政检查事项，停业整改系经营者自行决定，部门未提出停业要求。",
        upheld="行使权力清单之外的权力，且未出具书面文书，属实。请立即纠正并报告整改情况。",
        rectified="已撤销口头停业要求并向当事人致歉；联合检查一律按清单事项出具书面文书，检查规程已修订。",
        not_upheld="经核查，该次检查有清单依据，部门未作出停业要求，投诉不成立。",
    ),
    Topic(
        what=(
            "申请{item}时，窗口人员让我们找他们推荐的一家咨询公司做申报材料，说这样“好过”，"
            "那家公司收了我们3000元。"
        ),
        categories=APPLIED,
        ask="请说明是否存在向申请人推荐或指定中介机构的情况。",
        admitted="经查，个别工作人员曾向申请人推荐该咨询公司；部门与该公司没有任何合作关系。",
        denied="经查，窗口提供的是公开的中介服务超市名单，由申请人自愿选择，没有指定具体机构。",
        upheld="向申请人推荐中介机构，属实，违反不得指定中介服务的规定。请整改并公开承诺不指定中介。",
        rectified="已对涉事人员立案调查；窗口张贴“不指定中介”告示，办事指南写明申请人可自行准备材料。",
        not_upheld="经核查，窗口提供的是公开名单，由申请人自愿选择，不属于指定中介，已向投诉人说明。",
    ),
    Topic(
        what="在网上提交了{item}的申请，页面一直显示“待受理”，已经十多天了，没有人联系我，也没有补正通知。",
        categories=APPLIED,
        ask="请说明该网上申请的接收和受理情况。",
        admitted="网上申请因系统对接故障未推送到受理人员的待办列表，未能及时受理，现已补办受理手续。",
        denied="经查，申请人提交后撤回并重新提交，新的申请已在2个工作日内受理。",
        upheld="网上申请长时间未受理，属实。请排查系统对接问题，并逐件清理同期积压的申请。",
        rectified="系统对接故障已修复，新增每日核对网上待受理件的制度；同期积压的12件已全部受理。",
        not_upheld="经核查，重新提交的申请已按时受理，原申请系申请人自行撤回，已向投诉人说明。",
    ),
    Topic(
        what=(
            "执法人员检查时以{item}为由当场罚款500元，只给了一张白条，没有处罚决定书，"
            "也没有告诉我们可以陈述申辩。"
        ),
        categories=ENFORCED,
        ask="请说明该次处罚的程序、处罚决定书和罚没票据的开具情况。",
        admitted="经查，执法人员当场收缴罚款未出具处罚决定书和财政票据，程序违法。",
        denied="经查，该次处罚依法出具了处罚决定书和罚没票据，当事人签收的回执在案。",
        upheld="当场收缴罚款未出具处罚决定书和票据，属实。请依法纠正，并对执法人员进行处理。",
        rectified="已撤销该处罚并退还罚款；涉事执法人员已停职接受调查，全队开展执法程序培训。",
        not_upheld="经核查，处罚决定书和票据均已出具并由当事人签收，投诉不成立。",
    ),
)
GENERAL_ITEM = "业务"  # stands in for ``{item}`` when a complaint names no power
ACCEPT_NOTES = (
    "投诉事项具体，属于权力清单监督范围，予以受理。",
    "受理，转入核查程序，请部门说明情况。",
    "涉及清单事项的办理，予以受理。",
)
DECLINE_REASONS = (
    "投诉事项属于民事纠纷，不在权力清单监督范围内，建议通过人民调解或诉讼解决。",
    "投诉内容不具体，未说明办理的事项、时间和窗口，无法核查。请补充后重新提交。",
    "该事项已进入行政复议程序，依法由复议机关处理，本平台不再重复受理。",
    "与此前已受理的投诉反映的是同一事项，已合并办理，请关注原投诉的处理结果。",
    "反映的是对法律规定本身的意见，不属于部门违规行使权力，已转有关部门作为立法建议参考。",
)
RECTIFICATION_ACCEPTED = "整改材料齐全，经回访投诉人确认整改到位，予以销号。"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"

# The review each outcome went through (besides filing); the moments are planned from these.
STEPS: dict[str, tuple[str, ...]] = {
    "waiting": (),
    "waiting_late": (),
    "declined": ("decline",),
    "declined_late": ("decline",),
    "reviewing": ("accept",),
    "explanation_requested": ("accept", "request_explanation"),
    "explained": ("accept", "request_explanation", "reply"),
    "upheld": ("accept", "request_explanation", "reply", "confirm"),
    "rectification_submitted": ("accept", "request_explanation", "reply", "confirm", "report_rectification"),
    "rectified": (
        "accept",
        "request_explanation",
        "reply",
        "confirm",
        "report_rectification",
        "accept_rectification",
    ),
    "not_upheld": ("accept", "request_explanation", "reply", "dismiss"),
}
# How many of each: most handled, a few still waiting, two of them past the 5 working days.
OUTCOMES: tuple[tuple[str, int], ...] = (
    ("waiting", 4),
    ("waiting_late", 2),
    ("declined", 6),
    ("declined_late", 1),
    ("reviewing", 3),
    ("explanation_requested", 3),
    ("explained", 2),
    ("upheld", 3),
    ("rectification_submitted", 1),
    ("rectified", 5),
    ("not_upheld", 4),
)
# Working days each step takes after the one before (the department's within its deadlines:
# 3 working days for an explanation, 15 for a rectification).
GAPS: dict[str, tuple[int, int]] = {
    "accept": (1, 4),
    "decline": (1, 4),
    "request_explanation": (0, 2),
    "reply": (1, 3),
    "confirm": (1, 4),
    "dismiss": (1, 4),
    "report_rectification": (4, 14),
    "accept_rectification": (1, 3),
}
LATE_DECLINE = (6, 9)  # past the 5 working days: the "not handled in time" filter finds it
# Working days from the last step to today for a matter still waiting on someone: recent.
AGO: dict[str, tuple[int, int]] = {
    "reviewing": (1, 3),
    "explanation_requested": (1, 2),
    "explained": (1, 3),
    "upheld": (1, 25),
    "rectification_submitted": (1, 3),
}
# A closed matter can be from any time in the year: these are spread evenly over it (in working
# days before today), so that every month's scorecards have some.
SPREAD = 235
# Departments that serve the public most get most complaints.
BUSY = {"scjgj": 4, "zjj": 3, "rsj": 3, "gaj": 3, "zrzyj": 3, "cgj": 3, "zwfwj": 2, "ybj": 2, "jtj": 2}
SUPERVISOR_STEPS = frozenset(
    {"accept", "decline", "request_explanation", "confirm", "dismiss", "accept_rectification"}
)


@dataclass(frozen=True)
class Plan:
    """One complaint, decided before the database is read, so that the generator's draws never
    depend on what is there."""

    department: str
    topic: Topic
    outcome: str
    received_at: datetime
    steps: tuple[tuple[str, datetime], ...]
    happened_days_before: int
    names_power: bool
    names_case: bool
    pick: float  # which power (or case) of the department's, as a fraction of their number
    contact: str
    note: str  # the accepting note, or the reason for declining
    admitted: bool  # whether the department's reply admits it


def _local(day: date, tz: ZoneInfo, rng: random.Random, hours: tuple[int, int] = (9, 17)) -> datetime:
    return datetime.combine(day, time(rng.randint(*hours), rng.randint(0, 59)), tzinfo=tz)


def _contact(rng: random.Random) -> str:
    if rng.random() < 0.35:
        return ""
    phone = f"1{rng.choice('3578')}{rng.randint(0, 99_999_999):08d}"
    who = f"{rng.choice(SURNAMES)}{rng.choice(('先生', '女士'))}"
    return rng.choice((phone, f"{who} {phone}", f"{who}，手机{phone}，工作日白天方便接听"))


def _moments(
    outcome: str, ago: int, rng: random.Random, cal: WorkCalendar, tz: ZoneInfo, now: datetime
) -> tuple[datetime, tuple[tuple[str, datetime], ...]]:
    """When the complaint was received and when each step of its review was taken, the last one
    ``ago`` working days before today."""
    today = now.astimezone(tz).date()
    if outcome == "waiting":  # online, at any hour, within the last two days
        return (now - timedelta(minutes=rng.randint(90, 2400))).replace(second=0, microsecond=0), ()
    if outcome == "waiting_late":
        return _local(working_day_before(cal, today, rng.randint(7, 15)), tz, rng, (8, 21)), ()
    names = STEPS[outcome]
    gaps = [rng.randint(*(LATE_DECLINE if outcome == "declined_late" else GAPS[n])) for n in names]
    # Received far enough back that the last step falls on a working day before today.
    received_day = working_day_before(cal, today, sum(gaps) + ago)
    received = _local(received_day, tz, rng, (8, 21))
    day, last, steps = received_day, received, []
    for name, gap in zip(names, gaps, strict=True):
        day, _walk = add_working_days(cal, day, gap)
        at = _local(day, tz, rng)
        if at <= last:  # on the same day as the step before: a little later
            at = last + timedelta(minutes=rng.randint(20, 120))
        steps.append((name, at))
        last = at
    return received, tuple(steps)


def plan(cal: WorkCalendar, tz: ZoneInfo, now: datetime) -> list[Plan]:
    """Every demo complaint, oldest first."""
    rng = random.Random("demo-complaints")  # noqa: S311 - reproducible demo data, not secrets
    outcomes = [outcome for outcome, n in OUTCOMES for _ in range(n)]
    rng.shuffle(outcomes)
    closed = [n for n, outcome in enumerate(outcomes) if STEPS[outcome] and outcome not in AGO]
    codes = [code for code, _name, _name_en in CITY_DEPARTMENTS]
    weights = [BUSY.get(code, 1) for code in codes]
    plans = []
    for n, outcome in enumerate(outcomes):
        topic = rng.choice(TOPICS)
        if n in closed:  # the k-th closed one in the k-th stretch of the year
            ago = 1 + int(SPREAD * (closed.index(n) + rng.random()) / len(closed))
        else:
            ago = rng.randint(*AGO.get(outcome, (0, 0)))
        received, steps = _moments(outcome, ago, rng, cal, tz, now)
        declining = outcome.startswith("declined")
        plans.append(
            Plan(
                department=rng.choices(codes, weights)[0],
                topic=topic,
                outcome=outcome,
                received_at=received,
                steps=steps,
                happened_days_before=rng.choice((0, 0, 1, 2, 3, 5, 8, 12)),
                names_power=bool(topic.categories) and rng.random() < 0.7,
                names_case=rng.random() < 0.5,
                pick=rng.random(),
                contact=_contact(rng),
                note=rng.choice(DECLINE_REASONS if declining else ACCEPT_NOTES),
                admitted=outcome in ("upheld", "rectification_submitted", "rectified")
                or (outcome != "not_upheld" and rng.random() < 0.6),
            )
        )
    plans.sort(key=lambda p: p.received_at)
    return plans


@dataclass(frozen=True)
class _Subject:
    power: str
    item: str  # the power's name, or a general word
    case_ref: str
    case_day: date | None


def _subject(db: Session, department: Department, p: Plan, tz: ZoneInfo) -> _Subject:
    """The power (and case) the complaint names: one of the department's, received before it."""
    power_list = latest_published(db, department.id)  # type: ignore[arg-type]
    if not p.names_power or power_list is None:
        return _Subject("", GENERAL_ITEM, "", None)
    cases = db.exec(
        select(Case.ref, Case.power_code, PowerItem.name, Case.received_at)
        .join(PowerItem, col(PowerItem.id) == Case.power_item_id)
        .where(
            Case.department_id == department.id,
            col(Case.received_at) < p.received_at - timedelta(days=1),
            col(Case.received_at) > p.received_at - timedelta(days=90),
            col(PowerItem.category).in_(p.topic.categories),
        )
        .order_by(col(Case.ref))
    ).all()
    if p.names_case and cases:
        ref, code, name, at = cases[int(p.pick * len(cases))]
        return _Subject(code, name, ref, at.astimezone(tz).date())
    items = db.exec(
        select(PowerItem.code, PowerItem.name)
        .where(PowerItem.list_id == power_list.id, col(PowerItem.category).in_(p.topic.categories))
        .order_by(col(PowerItem.position))
    ).all()
    if not items:
        return _Subject("", GENERAL_ITEM, "", None)
    code, name = items[int(p.pick * len(items))]
    return _Subject(code, name, "", None)


@dataclass(frozen=True)
class _Handlers:
    supervisor: User
    operator: User
    thresholds: Thresholds
    cal: WorkCalendar
    tz: ZoneInfo


def _file(db: Session, department: Department, p: Plan, h: _Handlers) -> Filed:
    subject = _subject(db, department, p, h.tz)
    received_day = p.received_at.astimezone(h.tz).date()
    happened = received_day - timedelta(days=p.happened_days_before)
    if subject.case_day is not None:
        happened = min(max(happened, subject.case_day), received_day)
    form = {
        "department": department.code,
        "power": subject.power,
        "case_ref": subject.case_ref,
        "happened_on": happened.isoformat(),
        "what": p.topic.what.format(item=subject.item),
        "contact": p.contact,
    }
    return file_complaint(
        db,
        form,
        NO_FILES,
        now=p.received_at,
        cal=h.cal,
        tz=h.tz,
        days=h.thresholds.value("complaint_workdays"),
        data_dir=Path(),
        max_bytes=0,
    )


def _review_text(step: str, p: Plan) -> str:
    topic = p.topic
    return {
        "request_explanation": topic.ask,
        "reply": topic.admitted if p.admitted else topic.denied,
        "confirm": topic.upheld,
        "dismiss": topic.not_upheld,
        "report_rectification": topic.rectified,
        "accept_rectification": RECTIFICATION_ACCEPTED,
    }[step]


def _handle(db: Session, complaint: Complaint, p: Plan, h: _Handlers) -> None:
    """Take the plan's steps as the supervisor and the department's operator would have."""
    flag = None
    for step, at in p.steps:
        user = h.supervisor if step in SUPERVISOR_STEPS else h.operator
        if step == "decline":
            handling.decline(db, complaint, user, p.note, now=at)
        elif step == "accept":
            flag = handling.accept(db, complaint, user, p.note, now=at)
        else:
            assert flag is not None, "a review step before the complaint was accepted"
            text = _review_text(step, p)
            act(db, flag, step, user, text, now=at, cal=h.cal, tz=h.tz, thresholds=h.thresholds)


def _user(db: Session, email: str) -> User:
    return db.exec(select(User).where(User.email == email)).one()


def _has_complaints(db: Session, department_id: int) -> bool:
    found = db.exec(
        select(func.count()).select_from(Complaint).where(Complaint.department_id == department_id)
    )
    return found.one() > 0


@dataclass(frozen=True)
class Built:
    filed: list[Filed]
    months: set[str]  # the local months the new complaints were received in: their scorecards change
    overdue: list[str]  # the numbers marked not handled in time


def build_demo_complaints(
    engine: Engine, tz: ZoneInfo, progress: Callable[[str], None] = print, now: datetime | None = None
) -> Built:
    """File and handle the demo complaints of every city department that has none yet, one
    transaction per department; then mark those not handled in time, as the scheduler would."""
    now = now or utcnow()
    filed: list[Filed] = []
    with session_scope(engine) as db:
        cal = load_calendar(db)
        plans = plan(cal, tz, now)
        departments = {
            d.code: d for d in db.exec(select(Department).where(col(Department.parent_id).is_(None)))
        }
        thresholds = load_thresholds(db)
    for code in sorted({p.department for p in plans}):
        department = departments.get(code)
        if department is None:
            continue
        with session_scope(engine) as db:
            begin_writing(db)
            assert department.id is not None
            if _has_complaints(db, department.id):
                continue
            handlers = _Handlers(
                _user(db, DEMO_SUPERVISOR.email), _user(db, f"{code}@demo.gov.cn"), thresholds, cal, tz
            )
            for p in plans:
                if p.department == code:
                    done = _file(db, department, p, handlers)
                    _handle(db, done.complaint, p, handlers)
                    filed.append(done)
    with session_scope(engine) as db:
        overdue = handling.mark_overdue(db, now)
    progress(f"complaints: {len(filed)} filed, {len(overdue)} marked not handled in time")
    months = {month_key(f.complaint.received_at.astimezone(tz).date()) for f in filed}
    return Built(filed, months, overdue)
