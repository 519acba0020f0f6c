"""`tracker flags`: what the scans raised."""

from __future__ import annotations

import json

import click

from tracker.cli.context import Failure, open_context
from tracker.db import session_factory
from tracker.flags.escalation import KINDS as DERIVED_KINDS
from tracker.flags.models import FlagStatus
from tracker.flags.queries import FlagFilter, flag_rows
from tracker.flags.rules import BY_KIND


@click.group()
def flags() -> None:
    """Flags raised by the scheduler's scans (warnings, yellow and red cards)."""


@flags.command("list")
@click.option("--department", metavar="CODE", help="Only this department's flags.")
@click.option(
    "--kind", type=click.Choice(sorted([*BY_KIND, *DERIVED_KINDS])), help="Only flags of this kind."
)
@click.option("--status", type=click.Choice([s.value for s in FlagStatus]), help="Only flags in this status.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_command(department: str | None, kind: str | None, status: str | None, fmt: str) -> None:
    """List flags, newest first (JSON: an array with ISO-8601 timestamps)."""
    from powerlists.departments import by_code

    ctx = open_context()
    with session_factory(ctx.engine)() as db:
        if department is not None and by_code(db, department) is None:
            raise Failure(f"--department: no department has the code {department!r}")
        rows = flag_rows(db, FlagFilter(department=department or "", kind=kind or "", status=status or ""))
    if fmt == "json":
        click.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    for r in rows:
        step = f" step {r.step}" if r.step else ""
        click.echo(
            f"{r.since.isoformat()}  {r.level:<7} {r.kind:<22} {r.department}/{r.case}{step}  [{r.status}]"
        )
    click.echo(f"{len(rows)} flag(s)")
