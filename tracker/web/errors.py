"""Error answers: a short message and a request id, as a page or JSON; never a traceback."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect, Template

from tracker.i18n import activate
from tracker.i18n import gettext as _
from tracker.web.language import request_language
from tracker.web.runtime import is_api_path
from tracker.web.security import request_id

log = logging.getLogger("tracker.web")


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    accept = request.headers.get("accept", "")
    return (
        is_api_path(request.url.path)
        or request.url.path.endswith(".json")
        or request.query_params.get("format") == "json"  # a page's JSON twin
        or ("application/json" in accept and "text/html" not in accept)
    )


def _default_message(status: int) -> str:
    messages = {
        400: _("The request could not be understood."),
        401: _("Please sign in."),
        403: _("You do not have permission to do that."),
        404: _("Nothing was found at this address."),
        405: _("This address does not accept that method."),
        413: _("The request is too large."),
        429: _("Too many requests. Please wait and try again."),
        500: _("Something went wrong on our side. The error has been logged."),
    }
    return messages.get(status, HTTPStatus(status).phrase)


def _render(
    request: Request[Any, Any, Any], status: int, message: str, headers: dict[str, str], extra: Any = None
) -> Response[Any]:
    rid = request_id(request.scope)
    if _wants_json(request):
        body: dict[str, Any] = {"status_code": status, "detail": message, "request_id": rid}
        if extra:  # which field was wrong, for API clients
            body["errors"] = extra
        return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)
    return Template(
        "errors/error.html",
        context={"status": status, "message": message, "request_id": rid},
        status_code=status,
        headers=headers,
    )


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    activate(request_language(request))
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException) and not _wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect("/login?" + urlencode({"next": target}))
    # Our own messages are written for the reader; framework details (validation dumps) are not.
    framework_detail = str(exc.detail).startswith(
        ("Validation failed", "Invalid multipart", "Request Entity")
    )
    generic = (
        exc.detail == HTTPStatus(status).phrase or status >= 500 or status in (405, 413) or framework_detail
    )
    message = _default_message(status) if generic else str(exc.detail)
    return _render(request, status, message, dict(exc.headers or {}), getattr(exc, "extra", None))


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    activate(request_language(request))
    log.exception(
        "unhandled error [request %s] %s %s", request_id(request.scope), request.method, request.url.path
    )
    return _render(request, 500, _default_message(500), {})
