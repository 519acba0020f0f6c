"""Server-rendered SVG charts and badges: plain data in, self-contained markup out.

Pages must render with the network cut and labels come from the database, so a chart is one <svg>
with presentation attributes only (the CSP forbids inline ``style``), system fonts, no links, every
text escaped, and ids under a caller-given prefix so several charts share a page. Each chart also
renders its data as an HTML table for screen readers (``table()``); ``figure()`` puts both together.
Number formatting (percent, grouping, decimals) is the page's: charts take a formatter callable.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup, escape

Formatter = Callable[[float], str]
Scale = Literal["rate", "count", "number"]

SVG_NS = "http://www.w3.org/2000/svg"
# Fonts the reader already has: nothing is fetched.
FONT = (
    "system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"
)
FONT_SIZE = 12
# Contrast against white in the comments (WCAG AA: 4.5 for text, 3 for shapes).
INK = "#1f2937"  # 14.7
MUTED = "#4b5563"  # 7.6: ticks, legends
GRID = "#e5e7eb"  # decoration only
SERIES = ("#1d4ed8", "#b45309")  # 6.7 and 5.0; the second series is also hatched
BAND = "#bfdbfe"  # the interval's area; its dashed edges carry the contrast
GREY = "#6b7280"  # 4.8: too few cases to rank
MISSING = "—"

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
# Glyph widths in units of an average Latin glyph (≈ 0.6 em): there are no font metrics on a server.
_NARROW = set(" !'(),./:;I[]`fijlrt|·")
_WIDE = set("%@MWmw—")
_EM_PER_UNIT = 0.6


def text_width(text: str, font_size: float) -> float:
    """An estimate of how wide ``text`` renders: CJK and full-width characters count double."""
    units = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            units += 2
        elif unicodedata.combining(ch):
            continue
        elif ch in _NARROW:
            units += 0.5
        elif ch in _WIDE:
            units += 1.5
        else:
            units += 1
    return units * _EM_PER_UNIT * font_size


def _fit(text: str, width: float, font_size: float = FONT_SIZE) -> str:
    """``text`` cut with an ellipsis to fit ``width`` (the full text stays in a <title> and the table)."""
    if text_width(text, font_size) <= width:
        return text
    kept = ""
    for ch in text:
        if text_width(kept + ch + "…", font_size) > width:
            break
        kept += ch
    return kept + "…"


def nice_ticks(top: float, scale: Scale = "number", count: int = 5) -> list[float]:
    """Axis ticks from 0 in round steps (1, 2, 2.5 or 5 × 10ⁿ) up to the first at or above ``top``.

    Rates always run 0%–100% in quarters; counts step by whole numbers.
    """
    if scale == "rate":
        return [0, 0.25, 0.5, 0.75, 1]
    if not top > 0:
        top = 1
    raw = top / (count - 1)
    exponent = math.floor(math.log10(raw))
    step = 10.0 ** (exponent + 1)
    for mantissa in (1, 2, 2.5, 5):
        candidate = mantissa * 10.0**exponent
        if scale == "count" and candidate != round(candidate):
            continue  # a quarter of a case is no tick
        if candidate >= raw:
            step = candidate
            break
    if scale == "count":
        step = max(step, 1)
    intervals = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(intervals + 1)]


def default_tick_format(scale: Scale) -> Formatter:
    if scale == "rate":
        return lambda v: f"{v * 100:g}%"
    return lambda v: f"{v:,.0f}" if v == round(v) else f"{v:,g}"


def _n(value: float) -> str:
    """A coordinate, short."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _present(value: float | None) -> float | None:
    """``value`` if it can be drawn; NaN counts as missing (a gap), never as zero."""
    if value is None or math.isnan(value):
        return None
    if value < 0 or math.isinf(value):
        raise ValueError(f"chart values must be finite and not negative, got {value!r}")
    return value


def _check_prefix(id_prefix: str) -> None:
    if not _ID.match(id_prefix):
        raise ValueError(f"chart id prefix must be a letter then letters, digits, - or _: {id_prefix!r}")


def _check_lengths(categories: Sequence[str], *columns: Sequence[float | None]) -> None:
    for column in columns:
        if len(column) != len(categories):
            raise ValueError(f"{len(column)} values for {len(categories)} categories")


def _built(html: str) -> Markup:
    """Markup assembled here, where every text from outside went through ``escape``."""
    return Markup(html)  # noqa: S704 - the only caller-given strings inside are escaped


def _svg(prefix: str, width: float, height: float, title: str, desc: str, body: Sequence[str]) -> Markup:
    return _built(
        f'<svg xmlns="{SVG_NS}" class="chart" viewBox="0 0 {_n(width)} {_n(height)}" width="100%" '
        f'role="img" aria-labelledby="{prefix}-title {prefix}-desc" font-family="{FONT}" '
        f'font-size="{FONT_SIZE}" fill="{INK}">'
        f'<title id="{prefix}-title">{escape(title)}</title><desc id="{prefix}-desc">{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _hatch(pattern_id: str, colour: str) -> str:
    """Diagonal stripes over ``colour``: series and "too few" rows differ by pattern, not hue alone."""
    return (
        f'<pattern id="{pattern_id}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{colour}"/>'
        f'<rect width="2.5" height="6" fill="#ffffff" fill-opacity="0.6"/></pattern>'
    )


def _table(caption: str, headings: Sequence[str], rows: Sequence[Sequence[str]]) -> Markup:
    """An accessible table: the first cell of each row heads it."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headings)
    body = "".join(
        f'<tr><th scope="row">{escape(row[0])}</th>'
        + "".join(f"<td>{escape(c)}</td>" for c in row[1:])
        + "</tr>"
        for row in rows
    )
    return _built(
        f'<table class="chart-table"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


class _Chart:
    """What every chart kind offers: the picture, the same data as a table, and both as a figure."""

    fmt: Formatter
    missing: str

    def svg(self) -> Markup:
        raise NotImplementedError

    def table(self) -> Markup:
        raise NotImplementedError

    def figure(self, summary: str) -> Markup:
        """The chart, then its table behind a <details> whose <summary> reads ``summary``."""
        return _built(
            f'<figure class="chart-figure">{self.svg()}<details class="chart-data">'
            f"<summary>{escape(summary)}</summary>{self.table()}</details></figure>"
        )

    def _text(self, value: float | None) -> str:
        """A table cell: the page's formatting, or the missing mark (never a zero)."""
        value = _present(value)
        return self.missing if value is None else self.fmt(value)


@dataclass(frozen=True)
class Series:
    """One named row of values, one per category; None is a month without data."""

    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Band:
    """An interval per category (e.g. the Wilson 95% interval), drawn as a shaded band."""

    name: str  # the legend's text
    lower: Sequence[float | None]
    upper: Sequence[float | None]
    lower_name: str  # the table's column headings
    upper_name: str


# The months' plot: a viewBox this wide keeps 12px text legible when a phone shrinks it by a third.
_W, _H = 560, 250
_TOP, _BOTTOM, _RIGHT = 38, 26, 10


@dataclass(frozen=True)
class _Frame:
    """Categories across, values up: the plot area, the y scale and the axes' markup."""

    categories: Sequence[str]
    ticks: list[float]
    tick_text: list[str]

    @property
    def left(self) -> float:
        return max(text_width(t, FONT_SIZE) for t in self.tick_text) + 10

    @property
    def slot(self) -> float:
        return (_W - _RIGHT - self.left) / max(len(self.categories), 1)

    def x(self, index: int) -> float:
        """The centre of a category's slot."""
        return self.left + self.slot * (index + 0.5)

    def y(self, value: float) -> float:
        return _H - _BOTTOM - (_H - _TOP - _BOTTOM) * value / self.ticks[-1]

    def axes(self) -> list[str]:
        parts = []
        for tick, text in zip(self.ticks, self.tick_text, strict=True):
            y = _n(self.y(tick))
            parts.append(
                f'<line x1="{_n(self.left)}" x2="{_W - _RIGHT}" y1="{y}" y2="{y}" '
                f'stroke="{MUTED if tick == 0 else GRID}" stroke-width="1"/>'
                f'<text x="{_n(self.left - 6)}" y="{y}" dy="0.35em" text-anchor="end" fill="{MUTED}">'
                f"{escape(text)}</text>"
            )
        # Label every k-th category when the labels would overlap.
        widest = max((text_width(c, FONT_SIZE) for c in self.categories), default=0)
        every = max(1, math.ceil((widest + 4) / self.slot))
        for i, category in enumerate(self.categories):
            if i % every == 0:
                parts.append(
                    f'<text x="{_n(self.x(i))}" y="{_H - _BOTTOM + 16}" text-anchor="middle" '
                    f'fill="{MUTED}">{escape(category)}</text>'
                )
        return parts


def _frame(categories: Sequence[str], top: float, scale: Scale, tick_fmt: Formatter | None) -> _Frame:
    if scale == "rate" and top > 1:
        raise ValueError(f"a rate chart shows values from 0 to 1, got {top!r}")
    ticks = nice_ticks(top, scale)
    fmt = tick_fmt or default_tick_format(scale)
    return _Frame(categories, ticks, [fmt(t) for t in ticks])


def _legend(left: float, entries: Sequence[tuple[str, str]]) -> list[str]:
    """(swatch markup drawn in a 14×10 box at the origin, name) pairs laid out left to right."""
    parts, x = [], left
    for swatch, name in entries:
        parts.append(
            f'<g transform="translate({_n(x)},8)">{swatch}<text x="19" y="5" dy="0.35em" fill="{MUTED}">'
            f"{escape(name)}</text></g>"
        )
        x += 19 + text_width(name, FONT_SIZE) + 16
    return parts


def _value_title(category: str, name: str, text: str) -> str:
    """A tooltip for one mark."""
    return f"<title>{escape(category)} · {escape(name)}: {escape(text)}</title>"


@dataclass(frozen=True)
class BarChart(_Chart):
    """One or two series as vertical bars over categories (months); a missing value draws no bar."""

    id: str
    title: str
    desc: str
    categories: Sequence[str]
    series: Sequence[Series]
    fmt: Formatter
    category_name: str  # the table's first heading, e.g. "Month"
    scale: Scale = "count"
    tick_fmt: Formatter | None = None
    missing: str = MISSING

    def __post_init__(self) -> None:
        _check_prefix(self.id)
        if not 1 <= len(self.series) <= len(SERIES):
            raise ValueError(f"a bar chart draws 1 to {len(SERIES)} series")
        _check_lengths(self.categories, *(s.values for s in self.series))

    def svg(self) -> Markup:
        present = [[_present(v) for v in s.values] for s in self.series]
        top = max((v for values in present for v in values if v is not None), default=0)
        frame = _frame(self.categories, top, self.scale, self.tick_fmt)
        fills = [SERIES[0], f"url(#{self.id}-hatch)"]
        parts = [f"<defs>{_hatch(f'{self.id}-hatch', SERIES[1])}</defs>", *frame.axes()]
        parts += _legend(
            frame.left,
            [
                (f'<rect width="14" height="10" fill="{fill}"/>', s.name)
                for fill, s in zip(fills, self.series, strict=False)
            ],
        )
        group = frame.slot * 0.7
        width = group / len(self.series)
        for k, (serie, values) in enumerate(zip(self.series, present, strict=True)):
            for i, value in enumerate(values):
                if value is None:
                    continue
                x = frame.x(i) - group / 2 + k * width
                # A true zero stays visible as a sliver on the axis, unlike a gap.
                height = max(frame.y(0) - frame.y(value), 1.5)
                parts.append(
                    f'<rect class="chart-bar" x="{_n(x)}" y="{_n(frame.y(0) - height)}" '
                    f'width="{_n(width - 1)}" height="{_n(height)}" fill="{fills[k]}">'
                    f"{_value_title(self.categories[i], serie.name, self.fmt(value))}</rect>"
                )
        return _svg(self.id, _W, _H, self.title, self.desc, parts)

    def table(self) -> Markup:
        rows = [
            [category, *(self._text(s.values[i]) for s in self.series)]
            for i, category in enumerate(self.categories)
        ]
        return _table(self.title, [self.category_name, *(s.name for s in self.series)], rows)


def _runs(values: Sequence[float | None]) -> list[list[int]]:
    """Indexes of consecutive present values: each run is drawn apart, so a missing month is a gap."""
    runs: list[list[int]] = []
    previous_present = False
    for i, value in enumerate(values):
        if value is None:
            previous_present = False
            continue
        if not previous_present:
            runs.append([])
        runs[-1].append(i)
        previous_present = True
    return runs


@dataclass(frozen=True)
class LineChart(_Chart):
    """One series as a line with point markers over categories, with an optional band; a missing value
    splits the line."""

    id: str
    title: str
    desc: str
    categories: Sequence[str]
    series: Series
    fmt: Formatter
    category_name: str
    band: Band | None = None
    scale: Scale = "number"
    tick_fmt: Formatter | None = None
    missing: str = MISSING

    def __post_init__(self) -> None:
        _check_prefix(self.id)
        _check_lengths(self.categories, self.series.values)
        if self.band is not None:
            _check_lengths(self.categories, self.band.lower, self.band.upper)

    def svg(self) -> Markup:
        values = [_present(v) for v in self.series.values]
        lower, upper = self._band()
        top = max((v for v in [*values, *upper] if v is not None), default=0)
        frame = _frame(self.categories, top, self.scale, self.tick_fmt)
        colour = SERIES[0]
        parts = frame.axes()
        legend = [
            (f'<line x1="0" x2="14" y1="5" y2="5" stroke="{colour}" stroke-width="2"/>', self.series.name)
        ]
        if self.band is not None:
            legend.append(
                (
                    f'<rect width="14" height="10" fill="{BAND}" stroke="{colour}" stroke-dasharray="2 2"/>',
                    self.band.name,
                )
            )
            both = [lo if hi is not None else None for lo, hi in zip(lower, upper, strict=True)]
            for run in _runs(both):
                parts.append(self._band_run(frame, run, lower, upper))
        parts += _legend(frame.left, legend)
        for run in _runs(values):
            if len(run) > 1:
                path = " ".join(
                    f"{'M' if j == 0 else 'L'}{_n(frame.x(i))} {_n(frame.y(values[i] or 0))}"
                    for j, i in enumerate(run)
                )
                parts.append(
                    f'<path class="chart-line" d="{path}" fill="none" stroke="{colour}" stroke-width="2" '
                    f'stroke-linejoin="round"/>'
                )
        for i, value in enumerate(values):
            if value is not None:
                parts.append(
                    f'<circle class="chart-point" cx="{_n(frame.x(i))}" cy="{_n(frame.y(value))}" r="3.5" '
                    f'fill="{colour}" stroke="#ffffff" stroke-width="1">'
                    f"{_value_title(self.categories[i], self.series.name, self.fmt(value))}</circle>"
                )
        return _svg(self.id, _W, _H, self.title, self.desc, parts)

    def _band(self) -> tuple[list[float | None], list[float | None]]:
        if self.band is None:
            return [None] * len(self.categories), [None] * len(self.categories)
        return [_present(v) for v in self.band.lower], [_present(v) for v in self.band.upper]

    def _band_run(
        self, frame: _Frame, run: list[int], lower: list[float | None], upper: list[float | None]
    ) -> str:
        """A shaded area with dashed edges; an isolated month gets an error bar instead."""
        colour = SERIES[0]
        if len(run) == 1:
            i = run[0]
            x = _n(frame.x(i))
            return (
                f'<line class="chart-band" x1="{x}" x2="{x}" y1="{_n(frame.y(lower[i] or 0))}" '
                f'y2="{_n(frame.y(upper[i] or 0))}" stroke="{colour}" stroke-width="1.5"/>'
            )
        top = [f"{_n(frame.x(i))},{_n(frame.y(upper[i] or 0))}" for i in run]
        bottom = [f"{_n(frame.x(i))},{_n(frame.y(lower[i] or 0))}" for i in reversed(run)]
        edge = f'fill="none" stroke="{colour}" stroke-width="1" stroke-dasharray="3 3"'
        return (
            f'<polygon class="chart-band" points="{" ".join(top + bottom)}" fill="{BAND}" '
            f'fill-opacity="0.7"/>'
            f'<polyline points="{" ".join(top)}" {edge}/><polyline points="{" ".join(bottom)}" {edge}/>'
        )

    def table(self) -> Markup:
        headings = [self.category_name, self.series.name]
        if self.band is not None:
            headings += [self.band.lower_name, self.band.upper_name]
        lower, upper = self._band()
        rows = []
        for i, category in enumerate(self.categories):
            row = [category, self._text(self.series.values[i])]
            if self.band is not None:
                row += [self._text(lower[i]), self._text(upper[i])]
            rows.append(row)
        return _table(self.title, headings, rows)


@dataclass(frozen=True)
class RankRow:
    """One bar of a ranking: a rate in 0–1 (None when there is none), an optional interval, and whether
    there were too few cases to rank it (drawn grey and hatched, with the chart's note)."""

    label: str
    value: float | None
    lower: float | None = None
    upper: float | None = None
    too_few: bool = False


_RANK_ROW, _RANK_BAR, _RANK_TOP, _RANK_PLOT = 24, 14, 24, 320


@dataclass(frozen=True)
class RankChart(_Chart):
    """Horizontal bars of rates (0–1), one per labelled row, in the order given (the ranking is the
    caller's); whiskers show each row's interval when given."""

    id: str
    title: str
    desc: str
    rows: Sequence[RankRow]
    fmt: Formatter
    label_name: str  # the table's headings: e.g. "Department", "On-time rate"
    value_name: str
    too_few_text: str  # e.g. "too few cases to rank"
    lower_name: str = ""
    upper_name: str = ""
    tick_fmt: Formatter | None = None
    missing: str = MISSING
    max_label_width: float = 190

    def __post_init__(self) -> None:
        _check_prefix(self.id)
        for row in self.rows:
            for value in (row.value, row.lower, row.upper):
                present = _present(value)
                if present is not None and present > 1:
                    raise ValueError(f"a ranking shows rates from 0 to 1, got {value!r} for {row.label!r}")

    @property
    def _has_interval(self) -> bool:
        return any(r.lower is not None or r.upper is not None for r in self.rows)

    def _note(self, row: RankRow) -> str:
        value = _present(row.value)
        texts = [] if value is None else [self.fmt(value)]
        if row.too_few:
            texts.append(self.too_few_text)
        return " · ".join(texts) or self.missing

    @staticmethod
    def _end(row: RankRow) -> float:
        """Where a row's bar or whisker ends, as a rate: its text starts there."""
        value, upper = _present(row.value), _present(row.upper)
        return max(value or 0, upper if upper is not None and row.lower is not None else 0)

    def svg(self) -> Markup:
        ticks = nice_ticks(1, "rate")
        tick_fmt = self.tick_fmt or default_tick_format("rate")
        label_width = min(
            max((text_width(r.label, FONT_SIZE) for r in self.rows), default=0), self.max_label_width
        )
        left = label_width + 10
        plot = _RANK_PLOT
        # The viewBox widens to the furthest row text: a long note may run past the 100% line.
        width = max(
            [left + plot + 20]
            + [left + plot * self._end(r) + 6 + text_width(self._note(r), FONT_SIZE) + 16 for r in self.rows]
        )
        height = _RANK_TOP + _RANK_ROW * len(self.rows) + 6

        def x(value: float) -> float:
            return left + plot * value

        parts = [f"<defs>{_hatch(f'{self.id}-few', GREY)}</defs>"]
        for tick in ticks:
            parts.append(
                f'<line x1="{_n(x(tick))}" x2="{_n(x(tick))}" y1="{_RANK_TOP - 4}" y2="{_n(height - 6)}" '
                f'stroke="{MUTED if tick == 0 else GRID}" stroke-width="1"/>'
                f'<text x="{_n(x(tick))}" y="{_RANK_TOP - 10}" text-anchor="middle" fill="{MUTED}">'
                f"{escape(tick_fmt(tick))}</text>"
            )
        for n, row in enumerate(self.rows):
            top = _RANK_TOP + _RANK_ROW * n
            middle = _n(top + _RANK_ROW / 2)
            value = _present(row.value)
            title = f"{row.label}: {self._note(row)}"
            shown = _fit(row.label, label_width)
            mark = (
                f'<text x="{_n(left - 6)}" y="{middle}" dy="0.35em" text-anchor="end">{escape(shown)}</text>'
            )
            if value is not None:
                fill = f"url(#{self.id}-few)" if row.too_few else SERIES[0]
                mark += (
                    f'<rect class="chart-bar" x="{_n(x(0))}" y="{_n(top + (_RANK_ROW - _RANK_BAR) / 2)}" '
                    f'width="{_n(max(x(value) - x(0), 1.5))}" height="{_RANK_BAR}" fill="{fill}"/>'
                )
            lower, upper = _present(row.lower), _present(row.upper)
            if lower is not None and upper is not None:
                y1, y2 = _n(top + 6), _n(top + _RANK_ROW - 6)
                mark += (
                    f'<path class="chart-whisker" d="M{_n(x(lower))} {middle} H{_n(x(upper))} '
                    f'M{_n(x(lower))} {y1} V{y2} M{_n(x(upper))} {y1} V{y2}" fill="none" stroke="{INK}" '
                    f'stroke-width="1.25"/>'
                )
            mark += (
                f'<text x="{_n(x(self._end(row)) + 6)}" y="{middle}" dy="0.35em" '
                f'fill="{GREY if row.too_few else INK}">{escape(self._note(row))}</text>'
            )
            parts.append(f'<g class="chart-row"><title>{escape(title)}</title>{mark}</g>')
        return _svg(self.id, width, height, self.title, self.desc, parts)

    def table(self) -> Markup:
        headings = [self.label_name, self.value_name]
        if self._has_interval:
            headings += [self.lower_name, self.upper_name]
        rows = []
        for r in self.rows:
            row = [r.label, self._note(r)]
            if self._has_interval:
                row += [self._text(r.lower), self._text(r.upper)]
            rows.append(row)
        return _table(self.title, headings, rows)


# Badges: white text on each colour has at least 4.5:1 contrast.
BADGE_LABEL = "#3f3f46"  # 10.4
BADGE_COLOURS = {
    "green": "#1a7f37",  # 5.1
    "yellowgreen": "#4d7c0f",  # 5.0
    "orange": "#c2410c",  # 5.2
    "red": "#b91c1c",  # 6.5
    "grey": "#6b7280",  # 4.8
}
# The on-time rate at or above which a badge takes each colour, best first: the grades' defaults
# (excellent, good, pass), which a page may replace with the admin's thresholds.
BADGE_THRESHOLDS = (0.95, 0.85, 0.70)
_BADGE_FONT = "Verdana, Geneva, 'DejaVu Sans', sans-serif"
_BADGE_FONT_SIZE = 11
_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}\Z")


def badge_colour(rate: float | None, thresholds: tuple[float, float, float] = BADGE_THRESHOLDS) -> str:
    """The badge colour of an on-time rate: green, yellow-green, orange at or above each of
    ``thresholds``, else red; grey when there is none (too few cases)."""
    if rate is None or math.isnan(rate):
        return BADGE_COLOURS["grey"]
    for threshold, name in zip(thresholds, ("green", "yellowgreen", "orange"), strict=True):
        if rate >= threshold:
            return BADGE_COLOURS[name]
    return BADGE_COLOURS["red"]


def badge_svg(label: str, value_text: str, colour: str) -> str:
    """A two-part badge in the style of shields.io, self-contained: it is served as a file and embedded
    by other sites with <img>, where it can fetch nothing."""
    if not _HEX.match(colour):
        raise ValueError(f"badge colour must be a hex colour such as #1a7f37, got {colour!r}")
    pad = 6
    label_w = round(text_width(label, _BADGE_FONT_SIZE) + 2 * pad)
    value_w = round(text_width(value_text, _BADGE_FONT_SIZE) + 2 * pad)
    width = label_w + value_w
    text = f"{label}: {value_text}"
    return (
        f'<svg xmlns="{SVG_NS}" width="{width}" height="20" viewBox="0 0 {width} 20" role="img" '
        f'aria-label="{escape(text)}"><title>{escape(text)}</title>'
        f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#ffffff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{label_w}" height="20" fill="{BADGE_LABEL}"/>'
        f'<rect x="{label_w}" width="{value_w}" height="20" fill="{colour}"/></g>'
        f'<g fill="#ffffff" text-anchor="middle" font-family="{_BADGE_FONT}" font-size="{_BADGE_FONT_SIZE}">'
        f'<text x="{label_w / 2:g}" y="14">{escape(label)}</text>'
        f'<text x="{label_w + value_w / 2:g}" y="14">{escape(value_text)}</text></g></svg>'
    )
