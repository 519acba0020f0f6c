"""The one event validator behind every channel (API, files, forms): shape, types, timestamps.

``parse_event`` checks what can be checked without the database and returns a typed
event, or raises EventRejected with a reason naming the field and the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from powerlists.messages import N_
from tracker.calendar import FIRST_YEAR, LAST_YEAR
from tracker.cases.models import EventType, Outcome, SuspendReason
from tracker.ratings.codes import BadCode, checked
from tracker.ratings.models import DIMENSIONS, Channel

FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_REF = 100
MAX_TEXT = 2000
MAX_COMMENT = 500


@dataclass(frozen=True)
class RatingIn:
    level: int
    dimensions: dict[str, int]  # those of DIMENSIONS that were given, each 1–5
    comment: str
    channel: Channel


class EventRejected(Exception):
    def __init__(self, message: str, **args: Any) -> None:
        self.message, self.args_ = message, args
        super().__init__(message % args if args else message)


@dataclass(frozen=True)
class EventIn:
    case: str
    type: EventType
    at: datetime  # aware, UTC
    recorded_at: datetime | None
    source_id: str | None
    power: str | None = None
    applicant: dict[str, Any] | None = None
    step: int | None = None
    suspend_reason: SuspendReason | None = None
    outcome: Outcome | None = None
    reason: str = ""
    note: str = ""
    amount: Decimal | None = None
    code: str | None = None  # a rating code: hashed into rating_code, never kept in the event
    rating: RatingIn | None = None

    def data(self) -> dict[str, Any]:
        """What the stored event keeps beyond its columns (applicant details stay on the case only;
        a rating's comment is added, masked, when it is stored)."""
        if self.rating is not None:
            return {
                "level": self.rating.level,
                "channel": self.rating.channel.value,
                **self.rating.dimensions,
            }
        fields = {
            "power": self.power,
            "step": self.step,
            "reason": self.suspend_reason.value if self.suspend_reason else (self.reason or None),
            "outcome": self.outcome.value if self.outcome else None,
            "note": self.note or None,
            "amount": str(self.amount) if self.amount is not None else None,
        }
        return {k: v for k, v in fields.items() if v is not None}


def parse_time(value: object, field: str, tz: ZoneInfo) -> datetime:
    """ISO-8601; a timestamp without an offset is in TRACKER_TIMEZONE."""
    if not isinstance(value, str) or not value.strip():
        raise EventRejected(N_("%(field)s: a timestamp is required (ISO 8601)."), field=field)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise EventRejected(
            N_("%(field)s: %(value)r is not an ISO 8601 timestamp."), field=field, value=value
        ) from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise EventRejected(
            N_("%(field)s: %(value)s is not between %(first)d and %(last)d."),
            field=field,
            value=value,
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)).astimezone(UTC)


def _text(raw: dict[str, Any], field: str, limit: int = MAX_TEXT, required: bool = False) -> str:
    value = raw.get(field)
    if value is None or value == "":
        if required:
            raise EventRejected(N_("%(field)s is required."), field=field)
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise EventRejected(N_("%(field)s must be text, not %(value)r."), field=field, value=value)
    text = str(value).strip()
    if len(text) > limit:
        raise EventRejected(N_("%(field)s is longer than %(limit)d characters."), field=field, limit=limit)
    return text


def _choice(raw: dict[str, Any], field: str, kind: type[Any], required: bool) -> Any:
    value = raw.get(field)
    if value in (None, ""):
        if required:
            raise EventRejected(N_("%(field)s is required."), field=field)
        return None
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(m.value for m in kind)
        raise EventRejected(
            N_("%(field)s: %(value)r is not one of %(choices)s."), field=field, value=value, choices=choices
        ) from None


def _step(raw: dict[str, Any]) -> int:
    value = raw.get("step")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise EventRejected(N_("step: a step number from 1 is required, not %(value)r."), value=value)
    return value


def _amount(raw: dict[str, Any]) -> Decimal:
    value = raw.get("amount")
    if isinstance(value, bool) or value is None:
        raise EventRejected(N_("amount: an amount in yuan is required."))
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise EventRejected(N_("amount: %(value)r is not a number."), value=value) from None
    if not amount.is_finite() or amount < 0 or amount > Decimal("1e10"):
        raise EventRejected(N_("amount: %(value)r is not an amount in yuan."), value=value)
    return amount.quantize(Decimal("0.01"))


def _score(raw: dict[str, Any], field: str, required: bool) -> int | None:
    value = raw.get(field)
    if value is None or value == "":
        if required:
            raise EventRejected(N_("%(field)s is required."), field=field)
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())  # a form's field
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise EventRejected(
            N_("%(field)s: a score from 1 to 5 is required, not %(value)r."), field=field, value=value
        )
    return value


def parse_rating(raw: dict[str, Any]) -> RatingIn:
    """The rating fields of a ``rated`` event (the API's, or /rate's form)."""
    level = _score(raw, "level", required=True)
    assert level is not None
    dimensions = {d: v for d in DIMENSIONS if (v := _score(raw, d, required=False)) is not None}
    channel = _choice(raw, "channel", Channel, required=True)
    return RatingIn(level, dimensions, _text(raw, "comment", MAX_COMMENT), channel)


def _with_nul(value: object, path: str) -> str | None:
    """The first field (a dotted path) whose name or text holds a NUL character."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return where
            if (found := _with_nul(item, where)) is not None:
                return found
    if isinstance(value, list):
        for n, item in enumerate(value):
            if (found := _with_nul(item, f"{path}[{n}]")) is not None:
                return found
    return None


def parse_event(raw: object, tz: ZoneInfo, now: datetime) -> EventIn:
    if not isinstance(raw, dict):
        raise EventRejected(N_("An event must be a JSON object."))
    if (field := _with_nul(raw, "")) is not None:  # PostgreSQL cannot store one in text
        raise EventRejected(N_("%(field)s contains a NUL character, which cannot be stored."), field=field)
    case = _text(raw, "case", MAX_REF, required=True)
    event_type = _choice(raw, "type", EventType, required=True)
    at = parse_time(raw.get("at"), "at", tz)
    if at > now + FUTURE_TOLERANCE:
        raise EventRejected(N_("at: %(value)s is in the future."), value=raw.get("at"))
    recorded = parse_time(raw["recorded_at"], "recorded_at", tz) if raw.get("recorded_at") else None
    source_id = _text(raw, "id", MAX_REF) or None
    event = {
        "case": case,
        "type": event_type,
        "at": at,
        "recorded_at": recorded,
        "source_id": source_id,
        "note": _text(raw, "note"),
    }
    if event_type == EventType.received:
        applicant = raw.get("applicant")
        if applicant is not None and not isinstance(applicant, dict):
            raise EventRejected(N_("applicant must be a JSON object."))
        return EventIn(**event, power=_text(raw, "power", 64, required=True), applicant=applicant)
    if event_type in (EventType.step_started, EventType.step_completed):
        return EventIn(**event, step=_step(raw))
    if event_type == EventType.suspended:
        return EventIn(**event, suspend_reason=_choice(raw, "reason", SuspendReason, required=True))
    if event_type == EventType.fee_charged:
        return EventIn(**event, amount=_amount(raw))
    if event_type == EventType.rating_code_issued:
        try:
            return EventIn(**event, code=checked(_text(raw, "code", 100, required=True)))
        except BadCode as exc:
            raise EventRejected(exc.message, **exc.args_) from None
    if event_type == EventType.rated:
        return EventIn(**event, rating=parse_rating(raw))
    if event_type == EventType.decided:
        return EventIn(
            **event, outcome=_choice(raw, "outcome", Outcome, required=True), reason=_text(raw, "reason")
        )
    return EventIn(**event)
