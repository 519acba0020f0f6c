"""`tracker departments`: add and list departments."""

from __future__ import annotations

import json

import click

from powerlists.departments import (
    DepartmentError,
    DepartmentInput,
    add_department,
    as_public_dict,
    list_departments,
    parent_code_map,
)
from tracker.cli.context import Failure, open_context
from tracker.db import session_scope
from tracker.i18n import gettext as _


@click.group()
def departments() -> None:
    """Departments of the region."""


@departments.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Chinese name.")
@click.option("--name-en", default="", help="English name.")
@click.option("--parent", default="", help="Code of the parent department.")
@click.option("--phone", default="", help="Supervision phone.")
@click.option("--website", default="", help="Website (http:// or https://).")
def add_command(code: str, name: str, name_en: str, parent: str, phone: str, website: str) -> None:
    """Add the department CODE."""
    ctx = open_context()
    try:
        with session_scope(ctx.engine) as db:
            department = add_department(db, DepartmentInput(code, name, name_en, parent, phone, website))
            click.echo(_("Department %(code)s added.", code=department.code))
    except DepartmentError as exc:
        raise Failure(
            "; ".join(f"--{field}: {_(message, **args)}" for field, message, args in exc.problems)
        ) from None


@departments.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_command(fmt: str) -> None:
    """List departments by code."""
    ctx = open_context()
    with session_scope(ctx.engine) as db:
        parents = parent_code_map(db)
        rows = [as_public_dict(d, parents) for d in list_departments(db)]
    if fmt == "json":
        keys = ("code", "name", "name_en", "parent", "phone")
        click.echo(json.dumps([{k: row[k] for k in keys} for row in rows], ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(
            "\t".join([row["code"], row["name"], row["name_en"], row["parent"] or "-", row["phone"] or "-"])
        )
