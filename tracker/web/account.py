"""Signing in and out, and the signed-in user's own account page."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from powerlists.columns import utcnow
from powerlists.models import Department
from tracker.accounts.guards import current_user, signed_in
from tracker.accounts.models import Role, User
from tracker.accounts.passwords import verify_password
from tracker.accounts.principals import BrowserAuth
from tracker.accounts.sessions import end_session, start_session
from tracker.accounts.throttle import locked_for, minutes, record_attempt
from tracker.accounts.users import AccountError, change_password, check_credentials, normalize_email
from tracker.i18n import gettext as _
from tracker.web.cookies import expire_cookie, make_cookie
from tracker.web.flash import flash
from tracker.web.forms import DB, FormData, safe_next, text
from tracker.web.runtime import runtime


def _client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else ""


def _landing(user: User) -> str:
    return {Role.admin: "/admin/departments", Role.operator: "/tokens"}.get(Role(user.role), "/account")


def _login_page(email: str, next_url: str, error: str, status: int) -> Template:
    return Template(
        "account/login.html",
        context={"email": email, "next": next_url, "error": error},
        status_code=status,
    )


def _signed_in_redirect(request: Request[Any, Any, Any], db: Session, user: User, target: str) -> Redirect:
    """Replace whatever session the browser had with a fresh one (never adopt a client's id)."""
    rt = runtime(request)
    auth = request.scope.get("auth")
    previous = auth.token if isinstance(auth, BrowserAuth) else request.cookies.get(rt.cookies.session)
    token = start_session(
        db,
        user,
        utcnow(),
        rt.session_policy,
        previous_token=previous,
        ip=_client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    max_age = rt.settings.session_max_hours * 3600
    return Redirect(target, cookies=[make_cookie(rt.settings, rt.cookies.session, token, max_age=max_age)])


class AccountController(Controller):
    include_in_schema = False

    @get("/login", name="login", sync_to_thread=False)
    def login_form(self, request: Request[Any, Any, Any], next: FromQuery[str] = "") -> Template | Redirect:
        user = current_user(request)
        if user is not None:
            return Redirect(safe_next(next, _landing(user)))
        return _login_page("", safe_next(next, ""), "", 200)

    @post("/login", name="login_submit", sync_to_thread=True)
    def login(self, request: Request[Any, Any, Any], db_session: DB, data: FormData) -> Template | Redirect:
        rt = runtime(request)
        email, password = normalize_email(text(data, "email")), str(data.get("password", ""))
        next_url = safe_next(text(data, "next"), "")
        ip, now = _client_ip(request), utcnow()
        wait = locked_for(db_session, email, ip, now, rt.throttle_policy)
        if wait is not None:
            message = _(
                "Too many failed sign-in attempts. Try again in %(minutes)d minutes.", minutes=minutes(wait)
            )
            return _login_page(email, next_url, message, 429)
        user = check_credentials(db_session, email, password) if email and password else None
        record_attempt(db_session, email, ip, now, success=user is not None)
        if user is None:
            # Commit the failure now: an error answer would otherwise roll it back.
            db_session.commit()
            return _login_page(email, next_url, _("The email or password is wrong."), 400)
        user.last_login_at = now
        db_session.add(user)
        flash(request, "success", _("Signed in as %(email)s.", email=user.email))
        return _signed_in_redirect(request, db_session, user, next_url or _landing(user))

    @post("/logout", name="logout", sync_to_thread=True)
    def logout(self, request: Request[Any, Any, Any], db_session: DB) -> Redirect:
        rt = runtime(request)
        auth = request.scope.get("auth")
        if isinstance(auth, BrowserAuth):
            end_session(db_session, auth.token)
        flash(request, "info", _("You have signed out."))
        response = Redirect("/")
        expire_cookie(rt.settings, response, rt.cookies.session)
        return response

    @get("/account", name="account", guards=[signed_in], sync_to_thread=True)
    def account(self, request: Request[Any, Any, Any], db_session: DB) -> Template:
        return self._account_page(request, db_session, {}, 200)

    @post("/account/password", name="account_password", guards=[signed_in], sync_to_thread=True)
    def password(
        self, request: Request[Any, Any, Any], db_session: DB, data: FormData
    ) -> Template | Redirect:
        signed = current_user(request)
        assert signed is not None
        user = db_session.get(User, signed.id)
        assert user is not None
        current, new = str(data.get("current_password", "")), str(data.get("new_password", ""))
        if not verify_password(current, user.password_hash)[0]:
            return self._account_page(
                request, db_session, {"current_password": _("The password is wrong.")}, 400
            )
        if new != str(data.get("confirm_password", "")):
            return self._account_page(
                request, db_session, {"confirm_password": _("The passwords differ.")}, 400
            )
        try:
            change_password(db_session, user, new, keep_token=None)
        except AccountError as exc:
            return self._account_page(request, db_session, {exc.field: _(exc.message, **exc.args_)}, 400)
        flash(request, "success", _("Your password was changed. Other sessions were signed out."))
        # A privilege change: the browser gets a new session id too.
        return _signed_in_redirect(request, db_session, user, "/account")

    @staticmethod
    def _account_page(
        request: Request[Any, Any, Any], db: Session, errors: dict[str, str], status: int
    ) -> Template:
        user = current_user(request)
        assert user is not None
        department = db.get(Department, user.department_id) if user.department_id else None
        return Template(
            "account/account.html",
            context={"user": user, "department": department, "errors": errors},
            status_code=status,
        )
