"""What the records themselves show: a power not on the list, backdated entries, unlawful fees."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from tracker.flags.models import Level
from tracker.flags.view import CaseView, Finding

OFF_LIST_POWER = "off_list_power"
BACKDATED = "backdated"
FEE_VIOLATION = "fee_violation"


def off_list_power(case: CaseView, _thresholds: Mapping[str, int], _now: datetime) -> Iterator[Finding]:
    """Filed under a code that was not on the department's published list the day it was received."""
    if not case.on_list:
        received = case.first("received")
        yield Finding(
            OFF_LIST_POWER,
            Level.red,
            since=case.received_at,
            params={"power_code": case.power_code},
            evidence=(received.id,) if received else (),
        )


def backdated(case: CaseView, thresholds: Mapping[str, int], _now: datetime) -> Iterator[Finding]:
    """Events recorded more than the tolerance after the moment they claim (one flag per case, with
    every such event as evidence; since the first of them was recorded)."""
    tolerance = timedelta(hours=thresholds["backdate_tolerance_hours"])
    late = [e for e in case.events if e.recorded_at - e.at > tolerance]
    if late:
        first = min(late, key=lambda e: e.recorded_at)
        yield Finding(
            BACKDATED,
            Level.yellow,
            since=first.recorded_at,
            params={"backdate_tolerance_hours": thresholds["backdate_tolerance_hours"]},
            evidence=tuple(e.id for e in late),
        )


def fee_violation(case: CaseView, _thresholds: Mapping[str, int], _now: datetime) -> Iterator[Finding]:
    """A fee charged on an item that charges none, or more than the item's standard amount."""
    limit = Decimal(0) if case.no_fee else case.fee_amount
    if limit is None:
        return  # the list states no amount: nothing to compare with
    total = Decimal(0)
    charged = []
    for event in case.events:
        if event.type != "fee_charged":
            continue
        total += Decimal(str(event.data.get("amount", "0")))
        charged.append(event.id)
        if total > limit:
            yield Finding(
                FEE_VIOLATION,
                Level.yellow,
                since=event.at,
                params={"charged": str(total), "allowed": str(limit), "no_fee": case.no_fee},
                evidence=tuple(charged),
            )
            return
