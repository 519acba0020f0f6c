"""Calendar days admins load: next year's State Council notice (before any package has it) and local days off.

Files: an .ics calendar (an event whose summary contains 班 / "workday" is a make-up working
day, any other is a holiday; multi-day events cover every day up to DTEND, exclusive), or a
two-column xlsx/csv of date and ``holiday`` | ``workday`` (休 / 班 also accepted).
Loading a notice makes the years it names covered; local days off do not.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete
from sqlmodel import Column, Field, Session, SQLModel, col, select

from powerlists.columns import UTCDateTime
from powerlists.messages import N_
from tracker.calendar import FIRST_YEAR, LAST_YEAR, WorkCalendar


class CalendarDay(SQLModel, table=True):
    __tablename__ = "calendar_day"

    day: date = Field(primary_key=True)
    working: bool
    source: str = Field(
        max_length=16, description="notice (a State Council notice) or local (a local day off)"
    )
    note: str = Field(default="", max_length=200)
    loaded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    loaded_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class CalendarYear(SQLModel, table=True):
    """A year whose official notice an admin loaded: its deadlines are no longer provisional."""

    __tablename__ = "calendar_year"

    year: int = Field(primary_key=True)
    source_name: str = Field(default="", max_length=255)
    loaded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    loaded_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class CalendarFileError(ValueError):
    def __init__(self, message: str, **args: object) -> None:
        self.message, self.args_ = message, args
        super().__init__(message % args if args else message)


@dataclass(frozen=True)
class Entry:
    day: date
    working: bool
    note: str = ""


def load_calendar(db: Session) -> WorkCalendar:
    days = db.exec(select(CalendarDay)).all()
    years = db.exec(select(CalendarYear.year)).all()
    return WorkCalendar(overrides={d.day: d.working for d in days}, loaded_years=frozenset(years))


# Reading files

MAX_EVENT_DAYS = 31  # one event of a notice: a holiday, not a season
_WORKDAY_WORDS = {"workday", "working", "work", "班", "上班", "补班", "调休上班", "工作日"}
_HOLIDAY_WORDS = {"holiday", "off", "休", "休息", "放假", "假", "节假日"}


def _kind(text: str, where: str) -> bool:
    value = text.strip().lower()
    if value in _WORKDAY_WORDS:
        return True
    if value in _HOLIDAY_WORDS:
        return False
    raise CalendarFileError(N_("%(where)s: write holiday or workday, not %(text)r."), where=where, text=text)


def _date(value: object, where: str) -> date:
    if isinstance(value, datetime):
        return in_range(value.date(), where)
    if isinstance(value, date):
        return in_range(value, where)
    text = str(value or "").strip()
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            parsed = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        return in_range(parsed, where)
    raise CalendarFileError(
        N_("%(where)s: %(text)r is not a date (write YYYY-MM-DD)."), where=where, text=text
    )


def in_range(day: date, where: str) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CalendarFileError(
            N_("%(where)s: %(day)s is not between %(first)d and %(last)d."),
            where=where,
            day=day.isoformat(),
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    return day


def _rows(rows: list[list[object]], name: str) -> list[Entry]:
    entries: list[Entry] = []
    for number, row in enumerate(rows, start=1):
        cells = [c for c in row if c not in (None, "")]
        if not cells:
            continue
        where = f"{name} row {number}"
        if number == 1 and isinstance(cells[0], str) and not re.match(r"^\d", cells[0].strip()):
            continue  # a header row
        if len(cells) < 2:
            raise CalendarFileError(
                N_("%(where)s: two columns are needed, a date and holiday or workday."), where=where
            )
        note = str(cells[2]).strip() if len(cells) > 2 else ""
        entries.append(Entry(_date(cells[0], where), _kind(str(cells[1]), where), note[:200]))
    return entries


def _unfold(text: str) -> list[str]:
    return re.sub(r"\r?\n[ \t]", "", text).splitlines()


def _ics(text: str, name: str) -> list[Entry]:
    entries: list[Entry] = []
    event: dict[str, str] | None = None
    for line in _unfold(text):
        if line.strip() == "BEGIN:VEVENT":
            event = {}
        elif line.strip() == "END:VEVENT" and event is not None:
            if "DTSTART" not in event:
                raise CalendarFileError(N_("%(where)s: an event has no DTSTART."), where=name)
            start = _date(event["DTSTART"][:8], name)
            end = _date(event["DTEND"][:8], name) if "DTEND" in event else start + timedelta(days=1)
            if (end - start).days > MAX_EVENT_DAYS:  # a holiday, not a decade
                raise CalendarFileError(
                    N_("%(where)s: an event from %(start)s to %(end)s is longer than %(max)d days."),
                    where=name,
                    start=start.isoformat(),
                    end=end.isoformat(),
                    max=MAX_EVENT_DAYS,
                )
            summary = event.get("SUMMARY", "")
            working = "班" in summary or "workday" in summary.lower()
            day = start
            while day < end:
                entries.append(Entry(day, working, summary[:200]))
                day += timedelta(days=1)
            event = None
        elif event is not None and ":" in line:
            key, _sep, value = line.partition(":")
            event[key.split(";")[0].upper()] = value.strip()
    return entries


def read_calendar_file(path: Path, name: str | None = None) -> list[Entry]:
    """Every day a file lists; CalendarFileError naming the row for anything unreadable."""
    name = name or path.name
    suffix = Path(name).suffix.lower()
    if suffix == ".ics":
        return _ics(path.read_text(encoding="utf-8-sig"), name)
    if suffix == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        return _rows([list(r) for r in csv.reader(io.StringIO(text))], name)
    if suffix == ".xlsx":
        from openpyxl import load_workbook  # type: ignore[import-untyped]

        from powerlists.zipcheck import check_xlsx

        check_xlsx(path)
        with path.open("rb") as handle:
            workbook = load_workbook(handle, read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            workbook.close()
        return _rows(rows, name)
    raise CalendarFileError(N_("%(where)s: use an .ics, .xlsx or .csv file."), where=name)


# Storing


def store(
    db: Session, entries: list[Entry], *, source: str, source_name: str, now: datetime, by: int | None
) -> set[int]:
    """Save the days (replacing what was there for them); a notice also marks its years covered."""
    if not entries:
        raise CalendarFileError(N_("%(where)s: the file lists no days."), where=source_name)
    days = {e.day: e for e in entries}
    db.execute(delete(CalendarDay).where(col(CalendarDay.day).in_(list(days))))
    db.add_all(
        CalendarDay(day=e.day, working=e.working, source=source, note=e.note, loaded_at=now, loaded_by_id=by)
        for e in days.values()
    )
    years = {d.year for d in days}
    if source == "notice":
        for year in years:
            existing = db.get(CalendarYear, year)
            if existing is None:
                db.add(CalendarYear(year=year, source_name=source_name[:255], loaded_at=now, loaded_by_id=by))
            else:
                existing.source_name, existing.loaded_at, existing.loaded_by_id = source_name[:255], now, by
                db.add(existing)
    db.flush()
    return years


def remove_day(db: Session, day: date) -> bool:
    row = db.get(CalendarDay, day)
    if row is None:
        return False
    db.delete(row)
    db.flush()
    return True
