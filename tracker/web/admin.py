"""Admin pages: departments and users."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session, select

from powerlists.columns import utcnow
from powerlists.departments import (
    DepartmentError,
    DepartmentInput,
    add_department,
    by_code,
    search_statement,
    update_department,
)
from powerlists.models import Department
from tracker.accounts.guards import admin_only, current_user
from tracker.accounts.models import Role, User
from tracker.accounts.users import AccountError, change_rights, create_user
from tracker.i18n import gettext as _
from tracker.web.flash import flash
from tracker.web.forms import DB, FormData, checkbox, text
from tracker.web.pagination import paginate


def _department_input(data: dict[str, Any]) -> DepartmentInput:
    return DepartmentInput(
        code=text(data, "code"),
        name=text(data, "name"),
        name_en=text(data, "name_en"),
        parent_code=text(data, "parent"),
        phone=text(data, "phone"),
        website=text(data, "website"),
    )


def _department_errors(exc: DepartmentError) -> dict[str, str]:
    return {field: _(message, **args) for field, message, args in exc.problems}


def _all_departments(db: Session) -> list[Department]:
    return list(db.exec(select(Department).order_by(Department.code)))


def _department_id(db: Session, code: FromPath[str]) -> int | None:
    department = by_code(db, code) if code else None
    return department.id if department else None


class AdminController(Controller):
    path = "/admin"
    guards = [admin_only]
    include_in_schema = False

    # Departments

    @get("/departments", name="admin_departments", sync_to_thread=True)
    def departments(self, db_session: DB, q: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
        return Template(
            "admin/departments.html",
            context={"page": paginate(db_session, search_statement(q), page), "q": q},
        )

    @get("/departments/new", name="admin_department_new", sync_to_thread=True)
    def new_department(self, db_session: DB) -> Template:
        return self._department_form(db_session, None, DepartmentInput("", ""), {}, 200)

    @post("/departments/new", name="admin_department_create", sync_to_thread=True)
    def create_department(
        self, request: Request[Any, Any, Any], db_session: DB, data: FormData
    ) -> Template | Redirect:
        form = _department_input(data)
        try:
            department = add_department(db_session, form)
        except DepartmentError as exc:
            return self._department_form(db_session, None, form, _department_errors(exc), 400)
        flash(request, "success", _("Department %(code)s added.", code=department.code))
        return Redirect("/admin/departments")

    @get("/departments/{code:str}/edit", name="admin_department_edit", sync_to_thread=True)
    def edit_department(self, db_session: DB, code: FromPath[str]) -> Template:
        department = self._department(db_session, code)
        parent = db_session.get(Department, department.parent_id) if department.parent_id else None
        form = DepartmentInput(
            code=department.code,
            name=department.name,
            name_en=department.name_en,
            parent_code=parent.code if parent else "",
            phone=department.phone,
            website=department.website,
        )
        return self._department_form(db_session, department, form, {}, 200)

    @post("/departments/{code:str}/edit", name="admin_department_update", sync_to_thread=True)
    def update_department(
        self, request: Request[Any, Any, Any], db_session: DB, code: FromPath[str], data: FormData
    ) -> Template | Redirect:
        department = self._department(db_session, code)
        form = _department_input(data)
        try:
            update_department(db_session, department, form)
        except DepartmentError as exc:
            return self._department_form(db_session, department, form, _department_errors(exc), 400)
        flash(request, "success", _("Department %(code)s saved.", code=department.code))
        return Redirect("/admin/departments")

    @staticmethod
    def _department(db: Session, code: FromPath[str]) -> Department:
        department = by_code(db, code)
        if department is None:
            raise NotFoundException()
        return department

    @staticmethod
    def _department_form(
        db: Session, department: Department | None, form: DepartmentInput, errors: dict[str, str], status: int
    ) -> Template:
        return Template(
            "admin/department_form.html",
            context={
                "department": department,
                "form": form,
                "errors": errors,
                "parents": [d for d in _all_departments(db) if department is None or d.id != department.id],
            },
            status_code=status,
        )

    # Users

    @get("/users", name="admin_users", sync_to_thread=True)
    def users(self, db_session: DB, role: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
        stmt = select(User).order_by(User.email)
        if role in Role.__members__:
            stmt = stmt.where(User.role == role)
        departments = {d.id: d for d in _all_departments(db_session)}
        return Template(
            "admin/users.html",
            context={"page": paginate(db_session, stmt, page), "role": role, "departments": departments},
        )

    @get("/users/new", name="admin_user_new", sync_to_thread=True)
    def new_user(self, db_session: DB) -> Template:
        return self._user_form(db_session, None, {"role": "operator"}, {}, 200)

    @post("/users/new", name="admin_user_create", sync_to_thread=True)
    def create_user(
        self, request: Request[Any, Any, Any], db_session: DB, data: FormData
    ) -> Template | Redirect:
        form = {k: text(data, k) for k in ("email", "display_name", "role", "department")}
        try:
            user = create_user(
                db_session,
                email=form["email"],
                password=str(data.get("password", "")),
                role=form["role"],
                department_id=_department_id(db_session, form["department"]),
                display_name=form["display_name"],
                now=utcnow(),
            )
        except AccountError as exc:
            return self._user_form(db_session, None, form, {exc.field: _(exc.message, **exc.args_)}, 400)
        flash(request, "success", _("User %(email)s added.", email=user.email))
        return Redirect("/admin/users")

    @get("/users/{user_id:int}/edit", name="admin_user_edit", sync_to_thread=True)
    def edit_user(self, db_session: DB, user_id: FromPath[int]) -> Template:
        user = self._user(db_session, user_id)
        department = db_session.get(Department, user.department_id) if user.department_id else None
        form = {
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role,
            "department": department.code if department else "",
            "is_active": user.is_active,
        }
        return self._user_form(db_session, user, form, {}, 200)

    @post("/users/{user_id:int}/edit", name="admin_user_update", sync_to_thread=True)
    def update_user(
        self, request: Request[Any, Any, Any], db_session: DB, user_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        user = self._user(db_session, user_id)
        form: dict[str, Any] = {k: text(data, k) for k in ("display_name", "role", "department")}
        form["email"], form["is_active"] = user.email, checkbox(data, "is_active")
        try:
            ended = change_rights(
                db_session,
                user,
                role=form["role"],
                department_id=_department_id(db_session, form["department"]),
                is_active=form["is_active"],
                display_name=form["display_name"],
                actor_id=current_user(request).id,  # type: ignore[union-attr]
            )
        except AccountError as exc:
            return self._user_form(db_session, user, form, {exc.field: _(exc.message, **exc.args_)}, 400)
        message = _("User %(email)s saved.", email=user.email)
        if ended:
            message += " " + _("Their sessions were ended; they must sign in again.")
        flash(request, "success", message)
        return Redirect("/admin/users")

    @staticmethod
    def _user(db: Session, user_id: FromPath[int]) -> User:
        user = db.get(User, user_id)
        if user is None:
            raise NotFoundException()
        return user

    @staticmethod
    def _user_form(
        db: Session, user: User | None, form: dict[str, Any], errors: dict[str, str], status: int
    ) -> Template:
        return Template(
            "admin/user_form.html",
            context={
                "user": user,
                "form": form,
                "errors": errors,
                "roles": [r.value for r in Role],
                "departments": _all_departments(db),
            },
            status_code=status,
        )
