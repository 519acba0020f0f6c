"""`tracker users`: accounts."""

from __future__ import annotations

import sys

import click

from powerlists.columns import utcnow
from powerlists.departments import by_code
from tracker.accounts.models import Role
from tracker.accounts.users import AccountError, create_user
from tracker.cli.context import Failure, open_context
from tracker.db import session_scope
from tracker.i18n import gettext as _


@click.group()
def users() -> None:
    """User accounts."""


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    # Piped: the first line is the password (so scripts never put it on the command line).
    return sys.stdin.readline().rstrip("\r\n")


@users.command("add")
@click.option("--email", required=True, help="Sign-in email.")
@click.option(
    "--role", required=True, type=click.Choice([r.value for r in Role]), help="What the user may do."
)
@click.option("--department", default="", help="Department code (operators only).")
@click.option("--name", "display_name", default="", help="Display name.")
def add_command(email: str, role: str, department: str, display_name: str) -> None:
    """Add a user; the password is asked for, or read from the first line of stdin."""
    ctx = open_context()
    password = _read_password()
    try:
        with session_scope(ctx.engine) as db:
            department_id = None
            if department:
                found = by_code(db, department)
                if found is None:
                    raise Failure(_("No department has the code %(value)r.", value=department))
                department_id = found.id
            user = create_user(
                db,
                email=email,
                password=password,
                role=role,
                department_id=department_id,
                display_name=display_name,
                now=utcnow(),
            )
            click.echo(_("User %(email)s added.", email=user.email))
    except AccountError as exc:
        raise Failure(f"--{exc.field}: {_(exc.message, **exc.args_)}") from None
