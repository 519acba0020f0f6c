"""Cookie names and attributes: `__Host-` names and `Secure` over HTTPS, always HttpOnly and SameSite=Lax."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Response
from litestar.datastructures import Cookie

from tracker.settings import Settings


@dataclass(frozen=True)
class CookieNames:
    session: str
    csrf: str
    flash: str
    language: str

    @classmethod
    def for_settings(cls, settings: Settings) -> CookieNames:
        # `__Host-` cookies must be Secure, path=/ and host-only: a sibling subdomain cannot plant them.
        prefix = "__Host-" if settings.secure_cookies else ""
        return cls(
            session=f"{prefix}tracker_session",
            csrf=f"{prefix}tracker_csrf",
            flash=f"{prefix}tracker_flash",
            language=f"{prefix}tracker_lang",
        )


def make_cookie(settings: Settings, name: str, value: str, *, max_age: int | None = None) -> Cookie:
    return Cookie(
        key=name,
        value=value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def expire_cookie(settings: Settings, response: Response[object], name: str) -> None:
    response.set_cookie(make_cookie(settings, name, "", max_age=0))
