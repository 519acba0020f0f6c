"""Both languages: every visible string has a zh-CN translation; visitors can switch."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import Cast
from tracker.i18n import catalog_path, negotiate

ROOT = Path(__file__).resolve().parents[1]


def _source_messages() -> set[str]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_visible_string_has_a_chinese_translation() -> None:
    with catalog_path("zh-CN").open("rb") as po:
        catalog = read_po(po, locale="zh_CN")
    translated = {
        m.id[0] if isinstance(m.id, tuple) else m.id
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    messages = _source_messages()
    assert len(messages) > 100  # the extraction really read the sources
    missing = sorted(messages - translated)
    assert missing == [], "run `make messages` and translate: " + "; ".join(missing)


def test_the_language_follows_the_browser_then_the_site_default() -> None:
    assert negotiate(None, "en-GB,en;q=0.9", "zh-CN") == "en"
    assert negotiate(None, "zh-TW;q=0.8,en;q=0.9", "zh-CN") == "en"
    assert negotiate(None, "zh-CN,zh;q=0.9", "en") == "zh-CN"
    assert negotiate(None, "fr", "zh-CN") == "zh-CN"
    assert negotiate("en", "zh-CN", "zh-CN") == "en"  # the visitor's own choice wins


def test_a_chinese_browser_gets_chinese_pages(anon: TestClient[Litestar], cast: Cast) -> None:
    html = anon.get("/departments", headers={"accept-language": "zh-CN,zh;q=0.9"}).text
    assert '<html lang="zh-CN">' in html
    assert "甲局" in html and "Bureau A" not in html


def test_the_language_switch_sets_the_choice_and_returns_to_the_page(
    anon: TestClient[Litestar], cast: Cast
) -> None:
    response = anon.get("/lang/zh-CN?next=/departments", follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"] == "/departments"
    html = anon.get("/departments", headers={"accept-language": "en"}).text
    assert '<html lang="zh-CN">' in html
    anon.get("/lang/en?next=/departments")
    html = anon.get("/departments").text
    assert '<html lang="en">' in html and "Bureau A" in html


def test_the_language_switch_refuses_unknown_languages_and_foreign_targets(
    anon: TestClient[Litestar],
) -> None:
    assert anon.get("/lang/fr").status_code == 404
    response = anon.get("/lang/en?next=https://evil.example/", follow_redirects=False)
    assert response.headers["location"] == "/"
