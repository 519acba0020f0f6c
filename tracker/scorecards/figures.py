"""The figures of a scorecard, from rollup rows: one function for pages, JSON and exports.

Counts add up across months and items; medians and percentiles come from the merged histograms
of working days, never from averaging monthly medians.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tracker.scorecards.stats import median, merge, percentile, wilson

COUNTS = (
    "received",
    "decided",
    "promised_n",
    "promised_on_time",
    "statutory_n",
    "statutory_on_time",
    "speed_n",
    "speed_used",
    "speed_limit",
    "step_overruns",
    "flags_warning",
    "flags_yellow",
    "flags_red",
    "violations",
    "rectified_on_time",
    "rated",
    "satisfied",
    "bad_reviews",
    "bad_due",
    "bad_on_time",
    "complaints",
    "complaints_upheld",
)
OPEN_BUCKETS = ("within", "overdue_1_5", "overdue_6_20", "overdue_over_20")


@dataclass(frozen=True)
class Rate:
    """k of n, with the Wilson 95% interval; ``value`` is None when n is 0."""

    k: int
    n: int

    @property
    def value(self) -> float | None:
        return self.k / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.k, self.n)

    def as_dict(self) -> dict[str, Any]:
        low_high = self.interval
        return {
            "k": self.k,
            "n": self.n,
            "rate": self.value,
            "low": low_high[0] if low_high else None,
            "high": low_high[1] if low_high else None,
        }


@dataclass(frozen=True)
class Figures:
    counts: dict[str, int]
    on_time_promised: Rate
    on_time_statutory: Rate
    median_workdays: float | None
    p90_workdays: float | None
    speed_up: float | None  # 1 − mean working days used ÷ mean statutory limit (提速率)
    rectified_on_time: Rate  # of confirmed violations
    open_cases: dict[str, int]
    satisfaction: Rate  # very satisfied or satisfied (5 or 4), of the ratings given
    bad_followed_on_time: Rate  # bad reviews followed up by their deadline, of those due
    complaints: int  # complaints (投诉) received in the period
    complaints_upheld: int  # of those, the ones whose review confirmed a violation (so far)

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "on_time_promised": self.on_time_promised.as_dict(),
            "on_time_statutory": self.on_time_statutory.as_dict(),
            "median_workdays": self.median_workdays,
            "p90_workdays": self.p90_workdays,
            "speed_up": self.speed_up,
            "rectified_on_time": self.rectified_on_time.as_dict(),
            "open_cases": self.open_cases,
            "satisfaction": self.satisfaction.as_dict(),
            "bad_followed_on_time": self.bad_followed_on_time.as_dict(),
            "complaints": self.complaints,
            "complaints_upheld": self.complaints_upheld,
        }


def combine(rows: Iterable[Mapping[str, Any]], open_rows: Iterable[Mapping[str, Any]] = ()) -> Figures:
    """The figures of rollup rows (months × items) and open-case rows added together."""
    rows = list(rows)
    counts = {name: sum(int(r[name]) for r in rows) for name in COUNTS}
    histogram = merge([r["workdays"] for r in rows])
    # 1 − mean used ÷ mean limit over the same cases: the counts cancel out.
    speed = 1 - counts["speed_used"] / counts["speed_limit"] if counts["speed_limit"] else None
    open_cases = {name: sum(int(r[name]) for r in open_rows) for name in OPEN_BUCKETS}
    return Figures(
        counts=counts,
        on_time_promised=Rate(counts["promised_on_time"], counts["promised_n"]),
        on_time_statutory=Rate(counts["statutory_on_time"], counts["statutory_n"]),
        median_workdays=median(histogram),
        p90_workdays=percentile(histogram, 0.9),
        speed_up=speed,
        rectified_on_time=Rate(counts["rectified_on_time"], counts["violations"]),
        open_cases=open_cases,
        satisfaction=Rate(counts["satisfied"], counts["rated"]),
        bad_followed_on_time=Rate(counts["bad_on_time"], counts["bad_due"]),
        complaints=counts["complaints"],
        complaints_upheld=counts["complaints_upheld"],
    )
