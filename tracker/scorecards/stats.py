"""Small-number honesty: Wilson intervals and percentiles from histograms."""

from __future__ import annotations

import math
from collections.abc import Mapping

Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (None without observations)."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _at_rank(histogram: Mapping[int, int], rank: int) -> float:
    """The ``rank``-th smallest value (1-based) of those a histogram {value: count} holds."""
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return float(value)
    raise ValueError(f"rank {rank} beyond the {seen} values")


def percentile(histogram: Mapping[int, int], q: float) -> float | None:
    """The ``q`` quantile (0–1) by the nearest-rank method (a value that occurred, never an
    interpolation); None when the histogram is empty."""
    total = sum(histogram.values())
    if total == 0:
        return None
    return _at_rank(histogram, max(1, math.ceil(round(q * total, 9))))


def median(histogram: Mapping[int, int]) -> float | None:
    """The median (the mean of the two middle values for an even count); None when empty."""
    total = sum(histogram.values())
    if total == 0:
        return None
    if total % 2:
        return _at_rank(histogram, total // 2 + 1)
    return (_at_rank(histogram, total // 2) + _at_rank(histogram, total // 2 + 1)) / 2


def merge(histograms: list[Mapping[str, int]]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for h in histograms:
        for value, count in h.items():
            merged[int(value)] = merged.get(int(value), 0) + count
    return merged
