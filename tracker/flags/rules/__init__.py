"""The rules: small functions, one family per module, each (case, thresholds, now) → findings.

A rule judges a case as of ``now`` from what is stored (events and the deadlines ingestion
computed), and says since when its condition holds, so that a scan after any stop finds
the same flags with the same ``since`` as a scan that never stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from tracker.flags.models import Level
from tracker.flags.rules import deadlines, handling, records
from tracker.flags.view import CaseView, Finding

Check = Callable[[CaseView, Mapping[str, int], datetime], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    kind: str
    level: Level
    check: Check


RULES: tuple[Rule, ...] = (
    Rule(deadlines.DUE_SOON, Level.warning, deadlines.due_soon),
    Rule(deadlines.STEP_OVERDUE, Level.yellow, deadlines.step_overdue),
    Rule(deadlines.PROMISE_OVERDUE, Level.yellow, deadlines.promise_overdue),
    Rule(deadlines.STATUTORY_OVERDUE, Level.red, deadlines.statutory_overdue),
    Rule(deadlines.STALLED, Level.warning, deadlines.stalled),
    Rule(records.OFF_LIST_POWER, Level.red, records.off_list_power),
    Rule(handling.OUT_OF_ORDER, Level.yellow, handling.out_of_order),
    Rule(handling.SKIPPED_STEP, Level.yellow, handling.skipped_step),
    Rule(records.BACKDATED, Level.yellow, records.backdated),
    Rule(records.FEE_VIOLATION, Level.yellow, records.fee_violation),
    Rule(handling.UNLAWFUL_SUSPENSION, Level.yellow, handling.unlawful_suspension),
    Rule(handling.REFUSED_WITHOUT_REASON, Level.yellow, handling.refused_without_reason),
)
BY_KIND = {rule.kind: rule for rule in RULES}
LEVELS = {rule.kind: rule.level for rule in RULES}


def evaluate(case: CaseView, thresholds: Mapping[str, int], now: datetime) -> list[Finding]:
    """Every finding of every rule about one case, as of ``now``."""
    return [finding for rule in RULES for finding in rule.check(case, thresholds, now)]
