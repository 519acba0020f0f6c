"""A visitor's walk through the public pages in headless Chromium, over the demo region.

All browser tests live in this one file, so that pytest-xdist (--dist loadfile) gives them to a
single worker and the demo region is built once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from openpyxl import load_workbook

from tests.browser.installed import AXE
from tests.test_attachments import PNG
from tracker.db import make_engine
from tracker.demo import DEMO_SUPERVISOR

if TYPE_CHECKING:
    from playwright.sync_api import Page

Shot = Callable[["Page", str], Path]
DEPARTMENT = "scjgj"  # the demo's market regulation administration: a long list, plenty of cases
PUBLIC_PAGES = (
    "/",
    "/departments",
    "/departments?q=局",
    f"/departments/{DEPARTMENT}",
    "/powers",
    "/calculator",
    "/calculator?start=2026-01-30&value=10&unit=workday",
    "/transparency",
    "/open-data",
    "/rate",
    "/complain",
    "/complain/status",
    "/login",
)
SERIOUS = ("serious", "critical")
PHONE = {"width": 375, "height": 667}
# Where the status page says a complaint waits for the supervisors (complaint_names.stage).
RECEIVED = {
    "zh-CN": "已收到，等待监察人员决定是否受理",
    "en": "Received, waiting for the supervisors' decision",
}


def html_lang(page: Page) -> str:
    return str(page.get_attribute("html", "lang"))


def switch_language(page: Page, code: str) -> None:
    page.click(f".languages a[hreflang='{code}']")
    # Polled while the page navigates, when there is for a moment no document element.
    page.wait_for_function("code => document.documentElement?.lang === code", arg=code)


def first_power_link(page: Page) -> tuple[str, str]:
    """The code and name of the first power in the department page's list."""
    link = page.locator("#powers ~ .table-wrap a[href^='/powers/']").first
    href = str(link.get_attribute("href"))
    return href.removeprefix("/powers/"), link.inner_text().strip()


def test_the_overview_opens_in_chinese_and_switches_to_english_and_back(page: Page, shot: Shot) -> None:
    page.goto("/")
    assert html_lang(page) == "zh-CN"
    chinese_title = page.inner_text("h1")
    assert re.search(r"[\u4e00-\u9fff]", chinese_title), chinese_title
    shot(page, "overview-zh")

    switch_language(page, "en")
    assert page.inner_text("h1") == "Power-list tracker"
    assert page.url.endswith("/")
    shot(page, "overview-en")

    switch_language(page, "zh-CN")
    assert page.inner_text("h1") == chinese_title
    shot(page, "overview-zh-again")


def test_the_language_switch_keeps_the_visitor_on_the_same_page(page: Page, shot: Shot) -> None:
    page.goto(f"/departments/{DEPARTMENT}")
    switch_language(page, "en")
    assert page.url.endswith(f"/departments/{DEPARTMENT}")
    assert page.inner_text("h1") == "Demo City Market Regulation Administration"
    shot(page, "department-en")


def test_a_visitor_finds_a_department_and_follows_one_of_its_powers(page: Page, shot: Shot) -> None:
    page.goto("/")
    switch_language(page, "en")
    page.click("header nav a[href='/departments']")
    page.wait_for_url("**/departments")  # the overview has a search form of its own
    page.fill("input[name=q]", "Market")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**/departments?q=Market")
    shot(page, "search")
    page.click(f"a[href='/departments/{DEPARTMENT}']")
    page.wait_for_url(f"**/departments/{DEPARTMENT}")
    assert page.inner_text("h1") == "Demo City Market Regulation Administration"
    shot(page, "department")

    code, name = first_power_link(page)
    page.click(f"a[href='/powers/{code}']")
    page.wait_for_url(f"**/powers/{code}")
    assert page.inner_text("h1") == name
    assert code in page.inner_text("dl.facts")
    shot(page, "power")


def test_the_department_power_list_downloads_as_a_workbook_of_its_items(
    page: Page, shot: Shot, tmp_path: Path
) -> None:
    page.goto(f"/departments/{DEPARTMENT}")
    code, name = first_power_link(page)
    shot(page, "department")
    with page.expect_download() as download_info:
        page.click(f"a[href^='/departments/{DEPARTMENT}/powerlist.xlsx']")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    workbook = load_workbook(path, read_only=True)
    cells = {str(c) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for c in row if c}
    workbook.close()
    assert code in cells
    assert name in cells


def test_a_visitor_switches_the_scorecard_period_and_sees_the_departments_badge(
    page: Page, shot: Shot
) -> None:
    page.goto(f"/lang/en?next=/departments/{DEPARTMENT}")
    assert page.inner_text("#scorecard").startswith("Scorecard, the last 12 months")
    year = page.locator("#f-period option").nth(1).get_attribute("value")
    assert year is not None and re.fullmatch(r"\d{4}", year), year
    page.select_option("#f-period", year)
    page.click(".period-form button[type=submit]")
    page.wait_for_url(f"**/departments/{DEPARTMENT}?period={year}")
    assert page.inner_text("#scorecard") == f"Scorecard, {year}"
    assert page.locator("#f-period").input_value() == year
    shot(page, "department-year")
    # The badge is drawn (an SVG the browser could decode) and its embedding code names this page.
    badge = page.locator("img.badge")
    badge.scroll_into_view_if_needed()
    assert badge.evaluate("img => img.complete && img.naturalWidth > 0")
    assert f"/departments/{DEPARTMENT}/badge.svg" in page.input_value("#badge-code")
    shot(page, "badge")


def test_the_scorecards_of_the_last_twelve_months_download_from_open_data(
    page: Page, shot: Shot, tmp_path: Path
) -> None:
    page.goto("/lang/en?next=/open-data")
    shot(page, "open-data")
    with page.expect_download() as download_info:
        page.click("a[href='/open-data/scorecards/R12.xlsx']")
    download = download_info.value
    assert download.suggested_filename == "scorecards-R12.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    workbook = load_workbook(path, read_only=True)
    header, *rows = workbook["Ranking"].iter_rows(values_only=True)
    workbook.close()
    code = header.index("Department code")
    assert DEPARTMENT in {row[code] for row in rows}


def axe_violations(page: Page) -> list[dict[str, Any]]:
    # Violations only: collecting the passes too takes axe about twice as long.
    results: dict[str, Any] = page.evaluate("axe.run({resultTypes: ['violations']})")
    return [v for v in results["violations"] if v["impact"] in SERIOUS]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    at {node['target']}: {node.get('failureSummary', '')}" for node in v["nodes"][:5])
    return "\n".join(lines)


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_public_pages_have_no_serious_accessibility_violations(
    new_page: Callable[..., Page], shot: Shot, language: str
) -> None:
    assert AXE.exists(), f"{AXE} is missing: run `npm ci --prefix tests/browser`"
    # axe-core is loaded into every page before the page's own scripts; the site's CSP would
    # rightly refuse an injected script, so this context bypasses it.
    page = new_page(bypass_csp=True)
    page.context.add_init_script(path=str(AXE))
    page.goto(f"/lang/{language}?next=/")
    failures = []
    for path in PUBLIC_PAGES:
        page.goto(path)
        assert html_lang(page) == language
        violations = axe_violations(page)
        if violations:
            shot(page, path)
            failures.append(f"{path}:\n{describe(violations)}")
    # One power item page too: reached from the department, since codes are the demo's.
    page.goto(f"/departments/{DEPARTMENT}")
    code, _name = first_power_link(page)
    page.goto(f"/powers/{code}")
    if violations := axe_violations(page):
        shot(page, f"/powers/{code}")
        failures.append(f"/powers/{code}:\n{describe(violations)}")
    assert not failures, "serious or critical accessibility violations:\n" + "\n".join(failures)


SUPERVISOR_PAGES = ("/flags/", "/complaints/", "/ratings/", "/cases/", "/inbox", "/account")


def test_the_supervisors_workbench_has_no_serious_accessibility_violations(
    new_page: Callable[..., Page], shot: Shot
) -> None:
    page = new_page(bypass_csp=True)
    page.context.add_init_script(path=str(AXE))
    page.goto("/login")
    page.fill("#f-email", DEMO_SUPERVISOR.email)
    page.fill("#f-password", DEMO_SUPERVISOR.password)
    page.click("main form.stack button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    paths = list(SUPERVISOR_PAGES)
    # A complaint and a flag of the demo: their pages hold the review's forms.
    for queue, link in (("/complaints/", "/complaints/"), ("/flags/", "/flags/")):
        page.goto(queue)
        href = page.locator(f"table a[href^='{link}']").first.get_attribute("href")
        assert href, f"the demo has nothing on {queue}"
        paths.append(href)
    failures = []
    for path in paths:
        page.goto(path)
        assert page.url.endswith(path), f"{path} was not opened: {page.url}"
        if violations := axe_violations(page):
            shot(page, path)
            failures.append(f"{path}:\n{describe(violations)}")
    assert not failures, "serious or critical accessibility violations:\n" + "\n".join(failures)


def fits_the_phone(page: Page) -> None:
    # Against the phone's width, not window.innerWidth: a mobile browser zooms out to show a page
    # that is too wide, and innerWidth then grows with it.
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    too_wide = page.evaluate(
        """width => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > width && !e.closest('.table-wrap'))
            .slice(0, 5).map(e => e.outerHTML.slice(0, 80))""",
        PHONE["width"],
    )
    assert scroll_width <= PHONE["width"], f"{page.url} is {scroll_width}px wide on a phone: {too_wide}"


def test_an_applicant_rates_a_service_on_a_phone_and_sees_the_comment_masked(
    new_page: Callable[..., Page], shot: Shot, rating_code: str
) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    page.goto("/rate")
    assert html_lang(page) == "zh-CN"
    fits_the_phone(page)
    shot(page, "code")
    page.fill("#f-code", rating_code.lower().replace("-", " "))  # as typed from a slip
    page.click("form button[type=submit]")
    # The rating form has the code form's address: wait for its content, not for the address.
    page.locator("input[name=level]").first.wait_for()
    assert page.locator("input[name=level]").count() == 5
    fits_the_phone(page)
    shot(page, "form")
    page.check("input[name=level][value='2']")
    page.fill("#f-comment", "等了很久，电话13812345678没人接")
    page.click("form button[type=submit]")
    page.wait_for_url("**/rate/rating")
    assert "不满意" in page.inner_text(".flash-success")
    public = page.inner_text("blockquote")
    assert "13812345678" not in public and "没人接" in public
    fits_the_phone(page)
    shot(page, "thanks")
    # The code is spent: a second rating is refused with the same words as a wrong code.
    page.goto("/rate")
    page.fill("#f-code", rating_code)
    page.click("form button[type=submit]")
    page.locator(".flash-error").wait_for()
    assert page.locator(".flash-error").count() == 1 and page.locator("input[name=level]").count() == 0


def complaint_files(site_home: Path, number: str) -> list[tuple[str, int]]:
    """The names and sizes of the files the server stored with complaint ``number``."""
    from sqlmodel import Session, col, select

    from tracker.complaints.models import Complaint, ComplaintFile

    engine = make_engine(f"sqlite:///{site_home / 'demo.db'}")
    try:
        with Session(engine) as db:
            rows = db.exec(
                select(ComplaintFile.original_name, ComplaintFile.size)
                .join(Complaint, col(Complaint.id) == ComplaintFile.complaint_id)
                .where(Complaint.number == number)
            ).all()
    finally:
        engine.dispose()
    return [(name, size) for name, size in rows]


@pytest.mark.parametrize(
    ("language", "address", "receipt"),
    [
        pytest.param("zh-CN", "198.51.100.21", "收据.png", id="zh-CN"),
        pytest.param("en", "198.51.100.22", "receipt.png", id="en"),
    ],
)
def test_a_citizen_files_a_complaint_with_a_photo_on_a_phone_and_follows_it_with_the_secret(
    new_page: Callable[..., Page],
    shot: Shot,
    tmp_path: Path,
    site_home: Path,
    language: str,
    address: str,
    receipt: str,
) -> None:
    # Each run files from an address of its own (uvicorn trusts X-Forwarded-For from loopback),
    # so that these filings never use up another test's allowance of complaints per address.
    page = new_page(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
        extra_http_headers={"X-Forwarded-For": address},
    )
    photo = tmp_path / receipt
    photo.write_bytes(PNG)
    page.goto(f"/lang/{language}?next=/complain")
    page.wait_for_url("**/complain")
    assert html_lang(page) == language
    fits_the_phone(page)
    shot(page, "form")

    page.select_option("#f-department", DEPARTMENT)
    page.fill("#f-happened_on", (date.today() - timedelta(days=3)).isoformat())
    page.fill(
        "#f-what",
        "窗口要求另交200元加急费，清单上没有这项收费。"
        if language == "zh-CN"
        else "The counter asked for a 200 yuan rush fee the list does not have.",
    )
    page.set_input_files("#f-files", photo)
    shot(page, "filled")
    page.click("form button[type=submit]")
    page.locator("code.secret").first.wait_for()  # the answer has the form's address: wait for it
    number, secret = (s.strip() for s in page.locator("code.secret").all_inner_texts())
    assert re.fullmatch(r"TS\d{8}-\d{6}", number), number
    assert secret and secret != number
    assert page.locator(".flash-success").count() == 1
    assert complaint_files(site_home, number) == [(receipt, len(PNG))]
    fits_the_phone(page)
    shot(page, "filed")

    # Later, from the written-down number and secret, typed as from a slip of paper.
    page.goto("/complain/status")
    fits_the_phone(page)
    page.fill("#f-number", number)
    page.fill("#f-secret", secret.lower().replace("-", " "))
    page.click("form button[type=submit]")
    assert page.inner_text("dl.facts strong") == RECEIVED[language]
    assert number in page.inner_text("h1")
    assert secret not in page.content()
    fits_the_phone(page)
    shot(page, "status")


@pytest.mark.parametrize("path", ["/", f"/departments/{DEPARTMENT}"])
def test_pages_fit_a_phone_screen_without_scrolling_sideways(
    new_page: Callable[..., Page], shot: Shot, path: str
) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(path)
    shot(page, "phone")
    fits_the_phone(page)
