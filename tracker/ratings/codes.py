"""Rating codes: random, single-use, kept as hashes.

A code is what the applicant of a decided case holds to rate it without an account: printed on
the decision or sent by text message by the department's system (which reports it through the
case event API, ``rating_code_issued``), or generated on the case page. Only its SHA-256 is
stored. The generated ones carry 60 random bits; those a department reports must have at least
10 characters, and /rate is rate-limited, so guessing one online is hopeless.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from powerlists.messages import N_
from tracker.cases.models import Case
from tracker.ratings.models import RatingCode

# Crockford's base 32: no I, L, O or U, so a code read aloud or typed from paper survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GENERATED_LENGTH = 12
MIN_LENGTH, MAX_LENGTH = 10, 32
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.·]+")
_VALID = re.compile(rf"^[0-9A-Z]{{{MIN_LENGTH},{MAX_LENGTH}}}$")


class BadCode(ValueError):
    def __init__(self, message: str, **args: object) -> None:
        self.message, self.args_ = message, args
        super().__init__(message % args if args else message)


def normalize(raw: str) -> str:
    """The code as stored: upper case, without spaces or hyphens, look-alike letters as digits."""
    return _SEPARATORS.sub("", raw.strip().upper()).translate(_LOOKALIKES)


def checked(raw: str) -> str:
    """A department's code, normalized, or BadCode naming what is wrong (never echoing the code)."""
    code = normalize(raw)
    if not _VALID.match(code):
        raise BadCode(
            N_("code: a rating code has %(min)d to %(max)d letters and digits."),
            min=MIN_LENGTH,
            max=MAX_LENGTH,
        )
    return code


def digest(code: str) -> str:
    return hashlib.sha256(f"rating-code:{normalize(code)}".encode()).hexdigest()


def generate() -> str:
    """A new code, grouped by four for reading: ``7KQ2-M9XD-4HPA``."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(GENERATED_LENGTH))
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def issue(db: Session, *, case_id: int, department_id: int, code: str, via: str, now: datetime) -> None:
    """Store ``code`` (checked) as the case's, replacing an unused earlier one. The caller has made
    sure that the case is not rated yet and that no other case holds the code (see ingestion)."""
    hashed = digest(code)
    row = db.exec(select(RatingCode).where(RatingCode.case_id == case_id)).first()
    if row is None:
        row = RatingCode(
            case_id=case_id, department_id=department_id, code_hash=hashed, issued_at=now, issued_via=via
        )
    else:
        row.code_hash, row.issued_at, row.issued_via = hashed, now, via
    db.add(row)


def spend(db: Session, case_id: int, now: datetime) -> None:
    """The case is rated (on /rate or at a window): its code, if it has one, rates nothing more."""
    db.execute(
        update(RatingCode)
        .where(col(RatingCode.case_id) == case_id, col(RatingCode.used_at).is_(None))
        .values(used_at=now)
    )


def holder_case(db: Session, code: str) -> int | None:
    """The id of the case that holds ``code``, if any."""
    return db.exec(select(RatingCode.case_id).where(RatingCode.code_hash == digest(code))).first()


@dataclass(frozen=True)
class Holder:
    """What a valid code opens: its row and its case."""

    code: RatingCode
    case: Case


def holder_of(db: Session, raw: str) -> Holder | None:
    """The code's row and case, or None: malformed, unknown and reissued codes are all just None,
    so that an answer never says whether a case exists."""
    code = normalize(raw)
    if not _VALID.match(code):
        return None
    found = db.exec(
        select(RatingCode, Case)
        .join(Case, col(Case.id) == col(RatingCode.case_id))
        .where(RatingCode.code_hash == digest(code))
    ).first()
    return Holder(found[0], found[1]) if found else None


def unspent_holder(db: Session, raw: str) -> Holder | None:
    """The code's holder while the code can still rate its case; None in every other case."""
    holder = holder_of(db, raw)
    return holder if holder is not None and holder.code.used_at is None else None
