"""Rendered public pages kept in memory for anonymous visitors.

The scorecard pages are computed from rows the scheduler refreshes hourly, but rendering one
(a hundred departments, their charts, numbers formatted for the reader's language) costs tens of
milliseconds. Anonymous visitors all see the same page for a (path, query, language), so it is
rendered once per TTL. A signed-in page (its header names the user and their inbox) and a request
carrying a flash message are always rendered afresh.

Handlers that serve through the cache are ``async``: a hit is answered in the event loop without a
thread hop or a query, and only a miss renders (and queries) in a worker thread. ``render`` must do
all of its database work itself, including the lookups that may answer 404.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from litestar.concurrency import sync_to_thread
from litestar.enums import MediaType

from tracker.accounts.guards import current_user
from tracker.i18n import current_language
from tracker.web.caching import public_headers
from tracker.web.runtime import runtime

TTL_SECONDS = 60.0
MAX_PAGES = 2_000


@dataclass(frozen=True)
class RenderedPage:
    body: bytes
    media_type: str


class PageCache:
    def __init__(self, ttl: float = TTL_SECONDS, max_pages: int = MAX_PAGES) -> None:
        self.ttl, self.max_pages = ttl, max_pages
        self._pages: OrderedDict[tuple[str, str, str], tuple[float, RenderedPage]] = OrderedDict()
        self._lock = threading.Lock()

    async def serve(
        self, request: Request[Any, Any, Any], render: Callable[[], RenderedPage]
    ) -> Response[bytes]:
        headers = public_headers(request)
        cacheable = (
            self.ttl > 0
            and current_user(request) is None
            and not request.cookies.get(runtime(request).cookies.flash)
        )
        if not cacheable:
            page = await sync_to_thread(render)
            return Response(page.body, media_type=page.media_type, headers=headers)
        key = (request.url.path, request.url.query or "", current_language())
        now = time.monotonic()
        found: RenderedPage | None = None
        with self._lock:
            hit = self._pages.get(key)
            if hit is not None and now - hit[0] < self.ttl:
                self._pages.move_to_end(key)
                found = hit[1]
        if found is not None:
            page = found
        else:
            page = await sync_to_thread(render)
            with self._lock:
                self._pages[key] = (now, page)
                self._pages.move_to_end(key)
                while len(self._pages) > self.max_pages:
                    self._pages.popitem(last=False)
        return Response(page.body, media_type=page.media_type, headers=headers)


def html(request: Request[Any, Any, Any], template: str, context: dict[str, Any]) -> RenderedPage:
    """``template`` rendered as a Template response would render it."""
    engine = request.app.template_engine
    assert engine is not None
    body = engine.get_template(template).render(**context, request=request)
    return RenderedPage(body.encode("utf-8"), MediaType.HTML)


def json_page(data: Any) -> RenderedPage:
    from litestar.serialization import encode_json

    return RenderedPage(encode_json(data), MediaType.JSON)


def page_cache(request: Request[Any, Any, Any]) -> PageCache:
    cache = request.app.state.page_cache
    assert isinstance(cache, PageCache)
    return cache
