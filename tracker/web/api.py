"""The JSON API (v1). It accepts department API tokens only, never cookies."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from msgspec import Struct

from powerlists.departments import as_public_dict, by_code, list_departments, parent_code_map
from powerlists.models import Department
from tracker.accounts.guards import api_token
from tracker.accounts.principals import TokenAuth
from tracker.web.forms import DB


class DepartmentOut(Struct):
    code: str
    name: str
    name_en: str
    parent: str | None
    phone: str
    website: str


class TokenInfo(Struct):
    department: str
    token_id: int


class ApiController(Controller):
    path = "/api/v1"
    tags = ["api"]

    @get("/departments", sync_to_thread=True, summary="Every department, by code")
    def departments(self, db_session: DB) -> list[DepartmentOut]:
        parents = parent_code_map(db_session)
        return [DepartmentOut(**as_public_dict(d, parents)) for d in list_departments(db_session)]

    @get("/departments/{code:str}", sync_to_thread=True, summary="One department")
    def department(self, db_session: DB, code: FromPath[str]) -> DepartmentOut:
        department = by_code(db_session, code)
        if department is None:
            raise NotFoundException(f"No department has the code {code!r}.")
        return DepartmentOut(**as_public_dict(department, parent_code_map(db_session)))

    @get(
        "/token",
        guards=[api_token],
        sync_to_thread=True,
        summary="The department the presented API token belongs to (to check a token works)",
    )
    def token(self, request: Request[Any, Any, Any], db_session: DB) -> TokenInfo:
        auth = request.scope["auth"]
        assert isinstance(auth, TokenAuth)
        department = db_session.get(Department, auth.department_id)
        assert department is not None
        return TokenInfo(department=department.code, token_id=auth.token_id)
