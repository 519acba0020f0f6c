"""`tracker powerlist`: import a department's list from its spreadsheet, export it back."""

from __future__ import annotations

import io
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from powerlists.columns import utcnow
from powerlists.departments import by_code
from powerlists.models import Department
from tracker.cli.context import Failure, open_context
from tracker.db import session_factory
from tracker.i18n import gettext as _


@click.group()
def powerlist() -> None:
    """Departments' power lists (权力清单)."""


def _department(db: Any, code: str) -> Department:
    department = by_code(db, code)
    if department is None:
        raise Failure(_("No department has the code %(value)r.", value=code))
    return department


def _progress() -> Any:
    if not sys.stderr.isatty():
        return None

    def show(rows: int) -> None:
        click.echo(f"\r{_('Reading')}: {rows:,} …", nl=False, err=True)

    return show


def _print_report(result: dict[str, Any], dry_run: bool) -> None:
    if result["ok"]:
        if dry_run:
            click.echo(
                _(
                    "Checked: %(items)d items, %(steps)d steps. Dry run: nothing was written.",
                    items=result["items"],
                    steps=result["steps"],
                )
            )
        else:
            click.echo(
                _(
                    "Imported version %(version)d: %(items)d items, %(steps)d steps.",
                    version=result["version"],
                    items=result["items"],
                    steps=result["steps"],
                )
            )
    else:
        click.echo(_("Not imported: %(count)d errors. Nothing was written.", count=len(result["errors"])))
    changes = result["changes"]
    click.echo(
        _(
            "Changes against the current list: %(added)d added, %(changed)d changed, %(removed)d removed.",
            added=len(changes["added"]),
            changed=len(changes["changed"]),
            removed=len(changes["removed"]),
        )
    )
    for title, problems in ((_("Errors"), result["errors"]), (_("Warnings"), result["warnings"])):
        if problems:
            click.echo(f"{title}:")
            for p in problems:
                where = " ".join(
                    str(x)
                    for x in (p["sheet"], _("row %(row)s", row=p["row"]) if p["row"] else "", p["column"])
                    if x
                )
                click.echo(f"  {where}: {p['message']}")


@powerlist.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--department", "department_code", required=True, help="Department code.")
@click.option("--dry-run", is_flag=True, help="Check and show the changes; write nothing.")
@click.option(
    "--effective",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="In force from (YYYY-MM-DD); default today.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def import_command(
    file: Path, department_code: str, dry_run: bool, effective: datetime | None, fmt: str
) -> None:
    """Import FILE (xlsx) as a new published version of the department's list."""
    from powerlists.importer import ImportConflict, import_file
    from powerlists.zipcheck import WorkbookRefused
    from tracker.audit.records import record_publication

    ctx = open_context()
    today = datetime.now(ctx.settings.tz).date()
    effective_date: date = effective.date() if effective else today
    with session_factory(ctx.engine)() as db:
        department = _department(db, department_code)
        try:
            result = import_file(
                db,
                department.id,  # type: ignore[arg-type]
                file,
                source_name=file.name,
                effective=effective_date,
                imported_by_id=None,
                now=utcnow(),
                dry_run=dry_run,
                progress=_progress(),
            )
        except WorkbookRefused as exc:
            raise Failure(f"{file.name}: {_(exc.message, **exc.args_)}") from None
        except ImportConflict as exc:
            raise Failure(_(exc.message)) from None
        if _progress():
            click.echo("", err=True)
        if result.report.ok and not dry_run:
            assert result.power_list is not None
            record_publication(db, result.power_list, utcnow())
            db.commit()
        else:
            db.rollback()
        output = result.as_dict(department.code, _)
    if fmt == "json":
        click.echo(json.dumps(output, ensure_ascii=False, indent=2, default=str))
    else:
        _print_report(output, dry_run)
    if not output["ok"]:
        sys.exit(1)


@powerlist.command("export")
@click.option("--department", "department_code", required=True, help="Department code.")
@click.option("--output", required=True, help="File to write, or - for standard output.")
@click.option(
    "--format", "fmt", type=click.Choice(["xlsx", "json", "csv"]), default="xlsx", show_default=True
)
@click.option(
    "--version", "version", type=int, default=None, help="List version; default the one in force today."
)
def export_command(department_code: str, output: str, fmt: str, version: int | None) -> None:
    """Export a department's list in the project's own format (xlsx re-imports to the same list)."""
    from powerlists.importer import load_items, version_in_force, versions
    from powerlists.template import to_json, write_csv, write_workbook

    ctx = open_context()
    with session_factory(ctx.engine)() as db:
        department = _department(db, department_code)
        if version is None:
            power_list = version_in_force(db, department.id, datetime.now(ctx.settings.tz).date())  # type: ignore[arg-type]
        else:
            power_list = next((v for v in versions(db, department.id) if v.version == version), None)  # type: ignore[arg-type]
        if power_list is None:
            raise Failure(_("Department %(code)s has no such published list.", code=department.code))
        items = load_items(db, power_list.id)  # type: ignore[arg-type]
    if fmt == "json":
        text = json.dumps(
            to_json(department.code, power_list.version, power_list.effective_from, items),
            ensure_ascii=False,
            indent=2,
        )
        if output == "-":
            click.echo(text)
        else:
            Path(output).write_text(text + "\n", encoding="utf-8")
    elif fmt == "csv":
        if output == "-":
            stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
            write_csv(items, stream, language=ctx.settings.language)
            stream.flush()
            stream.detach()
        else:
            with Path(output).open("w", encoding="utf-8", newline="") as handle:
                write_csv(items, handle, language=ctx.settings.language)
    elif output == "-":
        buffer = io.BytesIO()
        write_workbook(items, buffer, language=ctx.settings.language)
        sys.stdout.buffer.write(buffer.getvalue())
    else:
        write_workbook(items, output, language=ctx.settings.language)
    if output != "-":
        click.echo(
            _(
                "Wrote version %(version)d of %(code)s (%(items)d items) to %(path)s.",
                version=power_list.version,
                code=department.code,
                items=len(items),
                path=output,
            ),
            err=True,
        )


@powerlist.command("template")
@click.option("--output", required=True, help="File to write.")
@click.option(
    "--language",
    type=click.Choice(["zh-CN", "en"]),
    default=None,
    help="Header language; default TRACKER_LANGUAGE.",
)
def template_command(output: str, language: str | None) -> None:
    """Write the blank power-list template (xlsx)."""
    from powerlists.template import write_template

    ctx = open_context(migrated=False)
    write_template(output, language=language or ctx.settings.language)
    click.echo(_("Wrote the template to %(path)s.", path=output), err=True)
