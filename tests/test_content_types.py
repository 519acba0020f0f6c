"""Pages with a JSON twin answer HTML as HTML: a handler typed ``Template | dict`` made Litestar send
its HTML page as application/json (browsers then showed the page's source)."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import Cast

PAGES = ("/", "/flags/", "/inbox", "/subscriptions/", "/transparency", "/open-data")


@pytest.mark.parametrize("path", PAGES)
def test_a_page_is_html_and_its_twin_json(path: str, cast: Cast, as_supervisor: TestClient[Litestar]) -> None:
    page = as_supervisor.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), path
    twin = as_supervisor.get(f"{path}?format=json")
    assert twin.status_code == 200 and twin.headers["content-type"].startswith("application/json"), path
