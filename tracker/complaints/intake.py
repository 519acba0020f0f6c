"""Filing a complaint (/complain) and finding it again with its tracking number and secret.

Anyone may complain about a department, or about one of the powers on its list: what happened,
when, optionally a case reference, contact details (seen by supervisors only) and up to five
files, checked as the supervision's attachments are. The complainant gets a tracking number and
a secret, shown once; only the secret's SHA-256 is kept. A wrong number and a wrong secret get
the same answer, so that the status page never says whether a number exists.

A case reference is kept as written and linked to the department's case when one has it, but
the complainant is never told whether it matched: that would say whether a case exists.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from powerlists.messages import N_
from powerlists.models import Department, PowerItem, PowerList
from powerlists.queries import in_force_ids
from tracker.audit.chain import Change, append, utc_text
from tracker.calendar import WorkCalendar
from tracker.cases.models import Case
from tracker.complaints.models import Complaint, ComplaintFile
from tracker.flags.attachments import Upload, described, store_uploads
from tracker.ratings.codes import generate, normalize
from tracker.sla import add_working_days, end_of_day

MAX_WHAT = 5000
MIN_WHAT = 10  # "bad service" says nothing a supervisor could look into
MAX_CONTACT = 200
MAX_REF = 64
MAX_FILES = 5
FIELDS = ("department", "power", "case_ref", "happened_on", "what", "contact")


class ComplaintRefused(ValueError):
    """What is wrong with the form, naming the field; nothing was stored."""

    def __init__(self, field: str, message: str, **args: object) -> None:
        self.field, self.message, self.args_ = field, message, args
        super().__init__(f"{field}: " + (message % args if args else message))


@dataclass(frozen=True)
class Filed:
    complaint: Complaint
    secret: str  # shown to the complainant once, never stored


def secret_digest(secret: str) -> str:
    return hashlib.sha256(f"complaint-secret:{normalize(secret)}".encode()).hexdigest()


def normalize_number(raw: str) -> str:
    return "".join(raw.split()).upper()


def handle_by(received_at: datetime, days: int, cal: WorkCalendar, tz: ZoneInfo) -> datetime:
    """The end of the ``days``-th working day after the local day the complaint was received."""
    due, _walk = add_working_days(cal, received_at.astimezone(tz).date(), days)
    return end_of_day(due, tz)


def _department(db: Session, code: str, item: PowerItem | None) -> Department:
    if item is not None:
        owner = db.exec(
            select(Department)
            .join(PowerList, col(PowerList.department_id) == Department.id)
            .where(PowerList.id == item.list_id)
        ).one()
        if code and code != owner.code:
            raise ComplaintRefused(
                "power",
                N_("The power %(power)s is on the list of %(owner)s, not of the department chosen."),
                power=item.code,
                owner=owner.name,
            )
        return owner
    if not code:
        raise ComplaintRefused("department", N_("Choose the department the complaint is about."))
    found = db.exec(select(Department).where(Department.code == code)).first()
    if found is None:
        raise ComplaintRefused("department", N_("There is no department with the code %(code)s."), code=code)
    return found


def _item(db: Session, code: str, today: date) -> PowerItem | None:
    if not code:
        return None
    item = db.exec(
        select(PowerItem).where(PowerItem.code == code, col(PowerItem.list_id).in_(in_force_ids(today)))
    ).first()
    if item is None:
        raise ComplaintRefused(
            "power",
            N_(
                "No power on the published lists has the code %(code)s. Leave it empty if the power "
                "is not on any list, and say so below."
            ),
            code=code[:MAX_REF],
        )
    return item


def _happened_on(raw: str, today: date) -> date:
    if not raw:
        raise ComplaintRefused("happened_on", N_("Say on which day it happened."))
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ComplaintRefused(
            "happened_on", N_("%(value)s is not a date (write it as 2026-03-31)."), value=raw[:40]
        ) from None
    if day > today:
        raise ComplaintRefused("happened_on", N_("%(value)s is in the future."), value=day.isoformat())
    if day.year < 2000:
        raise ComplaintRefused("happened_on", N_("%(value)s is too long ago."), value=day.isoformat())
    return day


def _checked_text(form: Mapping[str, str]) -> tuple[str, str, str]:
    what, contact, ref = (form.get(name, "").strip() for name in ("what", "contact", "case_ref"))
    if len(what) < MIN_WHAT:
        raise ComplaintRefused(
            "what", N_("Describe what happened in at least %(min)d characters."), min=MIN_WHAT
        )
    if len(what) > MAX_WHAT:
        raise ComplaintRefused("what", N_("Write at most %(max)d characters."), max=MAX_WHAT)
    if len(contact) > MAX_CONTACT:
        raise ComplaintRefused("contact", N_("Write at most %(max)d characters."), max=MAX_CONTACT)
    if len(ref) > MAX_REF:
        raise ComplaintRefused("case_ref", N_("Write at most %(max)d characters."), max=MAX_REF)
    return what, contact, ref


def _new_number(db: Session, today: date) -> str:
    """``TS`` (投诉), the local date and six random digits: unguessable enough not to invite
    trying numbers, short enough to read over the phone. The caller holds the write lock."""
    while True:
        number = f"TS{today:%Y%m%d}-{secrets.randbelow(10**6):06d}"
        if db.exec(select(Complaint.id).where(Complaint.number == number)).first() is None:
            return number


def file_complaint(
    db: Session,
    form: Mapping[str, str],
    uploads: Sequence[Upload],
    *,
    now: datetime,
    cal: WorkCalendar,
    tz: ZoneInfo,
    days: int,
    data_dir: Path,
    max_bytes: int,
) -> Filed:
    """Check ``form`` and ``uploads`` and store the complaint; the caller commits.

    ComplaintRefused (or AttachmentRefused for a file) names the problem; nothing is kept then.
    """
    today = now.astimezone(tz).date()
    what, contact, ref = _checked_text(form)
    item = _item(db, form.get("power", "").strip(), today)
    department = _department(db, form.get("department", "").strip(), item)
    happened = _happened_on(form.get("happened_on", "").strip(), today)
    case_id = (
        db.exec(select(Case.id).where(Case.department_id == department.id, Case.ref == ref)).first()
        if ref
        else None
    )
    secret = generate()
    complaint = Complaint(
        number=_new_number(db, today),
        secret_hash=secret_digest(secret),
        department_id=department.id,  # type: ignore[arg-type]
        power_item_id=item.id if item else None,
        power_code=item.code if item else "",
        case_ref=ref,
        case_id=case_id,
        happened_on=happened,
        what=what,
        contact=contact,
        received_at=now,
        handle_by=handle_by(now, days, cal, tz),
    )
    db.add(complaint)
    db.flush()
    files = [
        ComplaintFile(complaint_id=complaint.id, created_at=now, **f.columns())  # type: ignore[arg-type]
        for f in store_uploads(db, uploads, data_dir=data_dir, max_bytes=max_bytes, max_files=MAX_FILES)
    ]
    db.add_all(files)
    db.flush()
    # The log proves what was received and when without publishing it: the text is kept as its
    # hash, the contact details not at all.
    record = {
        "number": complaint.number,
        "department": department.code,
        "power": complaint.power_code,
        "case_ref": ref,
        "happened_on": happened.isoformat(),
        "what_sha256": hashlib.sha256(what.encode()).hexdigest(),
        "files": described(files),
        "received_at": utc_text(now),
        "handle_by": utc_text(complaint.handle_by),
    }
    append(db, [Change("complaint", complaint.number, record)], at=now)
    return Filed(complaint, secret)


def find(db: Session, number: str, secret: str) -> Complaint | None:
    """The complaint, only with its number and its secret."""
    complaint = db.exec(select(Complaint).where(Complaint.number == normalize_number(number))).first()
    # Compared even when there is no such number, so that the answer takes as long either way.
    expected = complaint.secret_hash if complaint else "0" * 64
    if not hmac.compare_digest(expected, secret_digest(secret)) or complaint is None:
        return None
    return complaint


def files_of(db: Session, complaint_id: int) -> list[ComplaintFile]:
    stmt = (
        select(ComplaintFile)
        .where(ComplaintFile.complaint_id == complaint_id)
        .order_by(col(ComplaintFile.id))
    )
    return list(db.exec(stmt))
