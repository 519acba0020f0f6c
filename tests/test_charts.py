"""Charts and badges: self-contained, escaped, accessible SVG, and tables that hold the same numbers."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import replace
from xml.etree.ElementTree import Element

import pytest
from defusedxml.ElementTree import fromstring
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment
from markupsafe import Markup

from tracker.web.charts import (
    BADGE_COLOURS,
    BADGE_LABEL,
    GREY,
    INK,
    MUTED,
    SERIES,
    SVG_NS,
    Band,
    BarChart,
    LineChart,
    RankChart,
    RankRow,
    Scale,
    Series,
    badge_colour,
    badge_svg,
    nice_ticks,
    text_width,
)

NS = {"svg": SVG_NS}
HOSTILE = "<b>&\"'"
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04"]


def pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def count(value: float) -> str:
    return f"{value:,.0f}"


def bars(id: str = "cases", values: list[float | None] | None = None, name: str = "Received") -> BarChart:
    return BarChart(
        id=id,
        title="Cases per month",
        desc="Received and decided",
        categories=MONTHS,
        series=[Series(name, values or [3, 0, None, 7]), Series("Decided", [2, 1, None, 6])],
        fmt=count,
        category_name="Month",
    )


def line(id: str = "ontime", values: list[float | None] | None = None) -> LineChart:
    return LineChart(
        id=id,
        title="On-time rate",
        desc="With its 95% interval",
        categories=MONTHS,
        series=Series("On-time", values or [0.9, 0.95, None, 0.8]),
        band=Band("95% interval", [0.8, 0.9, None, 0.6], [0.95, 0.98, None, 0.9], "Lower", "Upper"),
        fmt=pct,
        category_name="Month",
        scale="rate",
    )


def ranking(id: str = "ranking", rows: list[RankRow] | None = None) -> RankChart:
    return RankChart(
        id=id,
        title="On-time rate by department",
        desc="Best first",
        rows=rows
        or [
            RankRow("市场监督管理局", 0.98, 0.95, 0.99),
            RankRow("Tax", 0.9, 0.85, 0.94),
            RankRow("教育局", 0.5, 0.2, 0.8, too_few=True),
            RankRow("民政局", None, too_few=True),
        ],
        fmt=pct,
        label_name="Department",
        value_name="On-time rate",
        too_few_text="too few cases to rank",
        lower_name="Lower",
        upper_name="Upper",
    )


CHARTS: list[Callable[[], BarChart | LineChart | RankChart]] = [bars, line, ranking]


def parse(svg: str) -> Element:
    root: Element = fromstring(svg)
    return root


def marks(root: Element, cls: str) -> list[Element]:
    return [e for e in root.iter() if e.get("class") == cls]


def contrast(colour: str, background: str = "#ffffff") -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted((luminance(colour), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("make", CHARTS)
def test_every_chart_is_an_image_labelled_by_its_own_title_and_desc(make: Callable[[], BarChart]) -> None:
    chart = make()
    root = parse(chart.svg())
    assert root.tag == f"{{{SVG_NS}}}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%" and root.get("viewBox", "").startswith("0 0 ")
    title, desc = root.find("svg:title", NS), root.find("svg:desc", NS)
    assert title is not None and title.text == chart.title
    assert desc is not None and desc.text == chart.desc
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


@pytest.mark.parametrize("make", CHARTS)
def test_a_chart_refers_to_nothing_outside_itself(make: Callable[[], BarChart]) -> None:
    svg = str(make().svg())
    root = parse(svg)
    assert "http" not in svg.replace(SVG_NS, "")
    assert not {"script", "image", "foreignObject", "a", "use", "style"} & {
        e.tag.split("}")[1] for e in root.iter()
    }
    assert not [name for e in root.iter() for name in e.attrib if "href" in name or name.startswith("on")]
    assert all(ref.startswith("#") for ref in re.findall(r"url\(([^)]*)\)", svg))
    assert "@import" not in svg and "@font-face" not in svg


def test_the_badge_refers_to_nothing_outside_itself() -> None:
    svg = badge_svg("按时办结率", "97.5%", badge_colour(0.975))
    root = parse(svg)
    assert root.get("role") == "img"
    title = root.find("svg:title", NS)
    assert title is not None and title.text == "按时办结率: 97.5%"
    assert "http" not in svg.replace(SVG_NS, "")
    assert not {"script", "image", "foreignObject", "a", "use", "style"} & {
        e.tag.split("}")[1] for e in root.iter()
    }


def test_labels_from_the_database_are_escaped_everywhere() -> None:
    chart = BarChart(
        id="hostile",
        title=HOSTILE,
        desc=HOSTILE,
        categories=[HOSTILE, "b"],
        series=[Series(HOSTILE, [1, 2])],
        fmt=count,
        category_name=HOSTILE,
    )
    rank = ranking(rows=[RankRow(HOSTILE, 0.5)])
    for markup in (chart.svg(), chart.table(), rank.svg(), rank.table(), chart.figure(HOSTILE)):
        assert "<b>" not in markup
        root = parse(markup)
        texts = [t for e in root.iter() for t in (e.text, e.tail) if t]
        assert any(HOSTILE in t for t in texts)
    badge = badge_svg(HOSTILE, HOSTILE, "#1a7f37")
    assert "<b>" not in badge
    assert parse(badge).get("aria-label") == f"{HOSTILE}: {HOSTILE}"


def test_charts_are_markup_that_jinja_does_not_escape_again() -> None:
    svg = line().svg()
    assert isinstance(svg, Markup)
    assert Environment(autoescape=True).from_string("{{ chart }}").render(chart=svg) == str(svg)


def test_a_missing_month_draws_no_bar_while_a_zero_draws_one() -> None:
    root = parse(bars(values=[3, 0, None, 7]).svg())
    titles = [e.findtext("svg:title", namespaces=NS) for e in marks(root, "chart-bar")]
    assert "2026-02 · Received: 0" in titles  # the zero is drawn
    assert not [t for t in titles if t and t.startswith("2026-03")]  # both series miss March
    assert len(titles) == 3 + 3


def test_a_missing_month_splits_the_line_and_its_band() -> None:
    chart = LineChart(
        id="split",
        title="On-time rate",
        desc="",
        categories=[*MONTHS, "2026-05"],
        series=Series("On-time", [0.9, 0.95, None, 0.8, 0.85]),
        band=Band("95% interval", [0.8, 0.9, None, 0.6, 0.7], [0.95, 0.98, 0.5, 0.9, 0.9], "Lower", "Upper"),
        fmt=pct,
        category_name="Month",
        scale="rate",
    )
    root = parse(chart.svg())
    paths = [e.get("d", "") for e in marks(root, "chart-line")]
    assert len(paths) == 2 and all(d.count("M") == 1 and d.count("L") == 1 for d in paths)
    assert len(marks(root, "chart-point")) == 4  # none for March
    assert [e.tag.split("}")[1] for e in marks(root, "chart-band")] == ["polygon", "polygon"]


def test_an_isolated_month_is_a_point_with_an_error_bar() -> None:
    root = parse(line(values=[0.9, 0.95, None, 0.8]).svg())
    assert len(marks(root, "chart-line")) == 1  # January–February; April stands alone
    assert len(marks(root, "chart-point")) == 3
    assert [e.tag.split("}")[1] for e in marks(root, "chart-band")] == ["polygon", "line"]


def test_a_year_without_data_still_draws_its_axes_and_no_marks() -> None:
    chart = replace(bars(), series=[Series("Received", [None] * 4)])
    root = parse(chart.svg())
    assert marks(root, "chart-bar") == []
    assert [e.text for e in root.iter(f"{{{SVG_NS}}}text")][:2] == ["0", "1"]
    assert [[c.text for c in tr][1] for tr in parse(chart.table()).iterfind("tbody/tr")] == ["—"] * 4


def test_a_line_with_no_gap_is_one_path() -> None:
    root = parse(line(values=[0.9, 0.95, 0.7, 0.8]).svg())
    paths = marks(root, "chart-line")
    assert len(paths) == 1 and paths[0].get("d", "").count("L") == 3


def test_nan_is_a_gap_too_but_a_negative_value_is_refused() -> None:
    root = parse(bars(values=[math.nan, 1, 2, 3]).svg())
    assert len([e for e in marks(root, "chart-bar") if "Received" in (e.findtext("svg:title", "", NS))]) == 3
    with pytest.raises(ValueError, match="negative"):
        bars(values=[-1, 1, 2, 3]).svg()


def test_rates_are_drawn_on_quarters_from_0_to_100_percent() -> None:
    root = parse(line().svg())
    ticks = [e.text for e in root.iter(f"{{{SVG_NS}}}text") if e.text and e.text.endswith("%")]
    assert ticks == ["0%", "25%", "50%", "75%", "100%"]


@given(st.floats(min_value=1e-3, max_value=1e9), st.sampled_from(["count", "number"]))
def test_ticks_are_round_steps_from_zero_past_the_top(top: float, scale: Scale) -> None:
    ticks = nice_ticks(top, scale)
    step = ticks[1]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5))
    assert ticks[0] == 0 and ticks[-1] >= top * (1 - 1e-9) and ticks[-2] < top
    assert all(math.isclose(t, i * step, rel_tol=1e-9) for i, t in enumerate(ticks))
    assert 3 <= len(ticks) <= 6 or (scale == "count" and ticks == [0, 1])  # one case: no half ticks
    if scale == "count":
        assert all(t == int(t) for t in ticks)


def test_counts_get_the_ticks_a_person_would_draw() -> None:
    assert nice_ticks(171, "count") == [0, 50, 100, 150, 200]
    assert nice_ticks(3, "count") == [0, 1, 2, 3]
    assert nice_ticks(0, "count") == [0, 1]  # an empty chart still has an axis
    assert nice_ticks(1.8, "number") == [0, 0.5, 1, 1.5, 2]  # median working days may be halves
    assert nice_ticks(2.2, "number") == [0, 1, 2, 3]


def test_two_charts_on_one_page_share_no_id() -> None:
    page = [bars("a").svg(), bars("b").svg(), line("c").svg(), ranking("d").svg()]
    ids = [e.get("id") for svg in page for e in parse(svg).iter() if e.get("id")]
    assert len(ids) == len(set(ids)) > 4
    for svg in page:  # and every reference points inside its own chart
        own = {e.get("id") for e in parse(svg).iter()}
        refs = re.findall(r"url\(#([^)]*)\)", svg) + parse(svg).get("aria-labelledby", "").split()
        assert refs and set(refs) <= own


@pytest.mark.parametrize("prefix", ["", "1a", 'a" onload="x', "a b", "été"])
def test_an_id_prefix_that_is_not_a_plain_name_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        bars(prefix)


def test_the_bar_table_holds_exactly_the_values() -> None:
    table = parse(bars(values=[3, 0, None, 1234]).table())
    assert table.findtext("caption") == "Cases per month"
    assert [(th.text, th.get("scope")) for th in table.iterfind("thead/tr/th")] == [
        ("Month", "col"),
        ("Received", "col"),
        ("Decided", "col"),
    ]
    rows = [[c.text for c in tr] for tr in table.iterfind("tbody/tr")]
    assert rows == [
        ["2026-01", "3", "2"],
        ["2026-02", "0", "1"],
        ["2026-03", "—", "—"],
        ["2026-04", "1,234", "6"],
    ]
    assert {tr[0].get("scope") for tr in table.iterfind("tbody/tr")} == {"row"}


def test_the_line_table_holds_the_rate_and_its_interval() -> None:
    table = parse(line().table())
    assert [th.text for th in table.iterfind("thead/tr/th")] == ["Month", "On-time", "Lower", "Upper"]
    rows = [[c.text for c in tr] for tr in table.iterfind("tbody/tr")]
    assert rows[0] == ["2026-01", "90.0%", "80.0%", "95.0%"]
    assert rows[2] == ["2026-03", "—", "—", "—"]


def test_the_ranking_table_keeps_the_order_and_says_which_rows_are_too_few() -> None:
    table = parse(ranking().table())
    rows = [[c.text for c in tr] for tr in table.iterfind("tbody/tr")]
    assert rows == [
        ["市场监督管理局", "98.0%", "95.0%", "99.0%"],
        ["Tax", "90.0%", "85.0%", "94.0%"],
        ["教育局", "50.0% · too few cases to rank", "20.0%", "80.0%"],
        ["民政局", "too few cases to rank", "—", "—"],
    ]


def test_rows_with_too_few_cases_are_hatched_grey_and_say_so() -> None:
    chart = ranking()
    root = parse(chart.svg())
    fills = [e.get("fill") for e in marks(root, "chart-bar")]
    assert fills == [SERIES[0], SERIES[0], "url(#ranking-few)"]  # the row without a rate has no bar
    notes = [e.text for e in root.iter(f"{{{SVG_NS}}}text") if e.text and "too few" in e.text]
    assert notes == ["50.0% · too few cases to rank", "too few cases to rank"]
    assert len(marks(root, "chart-whisker")) == 3


def test_a_long_name_is_shortened_in_the_chart_but_whole_in_its_tooltip_and_table() -> None:
    name = "住房和城乡建设局行政审批服务科窗口办事大厅第三分部"
    chart = ranking(rows=[RankRow(name, 0.5)])
    root = parse(chart.svg())
    shown = [e.text for e in root.iter(f"{{{SVG_NS}}}text") if e.text and e.text.startswith("住房")]
    assert len(shown) == 1 and shown[0].endswith("…") and len(shown[0]) < len(name)
    assert root.findtext("svg:g/svg:title", namespaces=NS) == f"{name}: 50.0%"
    assert name in chart.table()


def test_rates_outside_0_to_1_are_refused_rather_than_drawn_off_the_chart() -> None:
    with pytest.raises(ValueError, match="0 to 1"):
        ranking(rows=[RankRow("Tax", 95.0)])
    with pytest.raises(ValueError, match="0 to 1"):
        line(values=[0.9, 95.0, 0.9, 0.9]).svg()


def test_the_figure_puts_the_table_behind_a_summary_under_the_chart() -> None:
    figure = parse(bars().figure("Show the data"))
    assert figure.tag == "figure"
    assert figure.find(f"{{{SVG_NS}}}svg") is not None
    assert figure.findtext("details/summary") == "Show the data"
    assert figure.find("details/table") is not None


def test_text_colours_and_badge_colours_meet_wcag_aa_on_white() -> None:
    for colour in (INK, MUTED, GREY, *SERIES):
        assert contrast(colour) >= 4.5, colour
    for colour in (BADGE_LABEL, *BADGE_COLOURS.values()):
        assert contrast(colour) >= 4.5, colour  # white text on the badge


def test_the_badge_grows_with_its_text() -> None:
    def width(label: str, value: str) -> int:
        return int(parse(badge_svg(label, value, "#1a7f37")).get("width", "0"))

    assert width("on-time", "9%") < width("on-time", "99.9%") < width("on-time rate", "99.9%")
    root = parse(badge_svg("on-time", "99.9%", "#1a7f37"))
    assert root.get("viewBox") == f"0 0 {root.get('width')} 20"


def test_cjk_characters_count_double() -> None:
    assert text_width("中文", 11) == text_width("abcd", 11) == 2 * text_width("ab", 11)
    assert text_width("按时办结率", 11) == text_width("ａｂｃｄｅ", 11)  # full-width Latin too


@pytest.mark.parametrize(
    ("rate", "name"),
    [
        (1.0, "green"),
        (0.95, "green"),
        (0.9499, "yellowgreen"),
        (0.85, "yellowgreen"),
        (0.8499, "orange"),
        (0.70, "orange"),
        (0.6999, "red"),
        (0.0, "red"),
        (None, "grey"),
        (math.nan, "grey"),
    ],
)
def test_the_badge_colour_follows_the_rate(rate: float | None, name: str) -> None:
    assert badge_colour(rate) == BADGE_COLOURS[name]


def test_the_badge_colour_can_follow_the_admins_grade_thresholds() -> None:
    assert badge_colour(0.92) == BADGE_COLOURS["yellowgreen"]
    assert badge_colour(0.92, (0.9, 0.8, 0.6)) == BADGE_COLOURS["green"]
    assert badge_colour(0.65, (0.9, 0.8, 0.6)) == BADGE_COLOURS["orange"]


@pytest.mark.parametrize("colour", ["red", '#fff" onload="alert(1)', "url(http://x/)", "#12345"])
def test_a_badge_colour_that_is_not_a_hex_colour_is_refused(colour: str) -> None:
    with pytest.raises(ValueError, match="hex colour"):
        badge_svg("on-time", "97%", colour)
