"""The quarterly grade (优秀 / 良好 / 合格 / 不合格): a weighted score of published figures.

score = 100 × Σ weightᵢ × rateᵢ ÷ Σ weightᵢ over the rates a department has (the on-time rates
against the promised and the statutory limit, the share of confirmed violations rectified on
time, and citizens' satisfaction; a rate with no cases behind it is left out with its weight),
less ``complaint_deduction`` points for each complaint upheld in the period, never below 0.
Upheld complaints are a deduction, not a rate: as a share of decided cases they would be near
100% everywhere and lift every score; as a share of complaints received, a department could
improve it by filing baseless complaints about itself.
Bands and weights are thresholds an admin may change; each scorecard shows the values it was
graded with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracker.scorecards.figures import Figures
from tracker.thresholds import Thresholds

GRADES = (("excellent", "grade_excellent"), ("good", "grade_good"), ("pass", "grade_pass"))  # best first
FAIL = "fail"
WEIGHTS = (
    ("on_time_promised", "weight_on_time_promised"),
    ("on_time_statutory", "weight_on_time_statutory"),
    ("rectified_on_time", "weight_rectified"),
    ("satisfaction", "weight_satisfaction"),
)


@dataclass(frozen=True)
class Grade:
    grade: str | None  # excellent, good, pass, fail; None with too few cases
    score: float | None
    parts: list[dict[str, Any]]  # each rate with its weight, as used
    bands: dict[str, int]
    min_cases: int
    deduction: dict[str, int]  # upheld complaints, points each, points taken off

    def as_dict(self) -> dict[str, Any]:
        return {
            "grade": self.grade,
            "score": self.score,
            "parts": self.parts,
            "bands": self.bands,
            "min_cases": self.min_cases,
            "deduction": self.deduction,
        }


def grade(figures: Figures, thresholds: Thresholds) -> Grade:
    min_cases = thresholds.value("ranking_min_cases")
    bands = {name: thresholds.value(setting) for name, setting in GRADES}
    parts = []
    for name, setting in WEIGHTS:
        rate = getattr(figures, name).value
        weight = thresholds.value(setting)
        if rate is not None and weight > 0:
            parts.append({"figure": name, "rate": rate, "weight": weight})
    each = thresholds.value("complaint_deduction")
    deduction = {"complaints_upheld": figures.complaints_upheld, "points_each": each}
    deduction["points"] = figures.complaints_upheld * each
    total = sum(p["weight"] for p in parts)
    if figures.counts["decided"] < min_cases or not total:
        return Grade(None, None, parts, bands, min_cases, deduction)
    score = max(0.0, 100 * sum(p["weight"] * p["rate"] for p in parts) / total - deduction["points"])
    for name, _setting in GRADES:
        if score >= bands[name]:
            return Grade(name, score, parts, bands, min_cases, deduction)
    return Grade(FAIL, score, parts, bands, min_cases, deduction)
