"""The `tracker` command. Each area adds its group here."""

from __future__ import annotations

import sys

import click

from tracker.cli.audit import audit
from tracker.cli.calendar import calendar
from tracker.cli.cases import cases
from tracker.cli.db import db
from tracker.cli.demo import demo
from tracker.cli.departments import departments
from tracker.cli.export import export
from tracker.cli.flags import flags
from tracker.cli.powerlist import powerlist
from tracker.cli.scheduler import scheduler
from tracker.cli.scorecards import scorecards
from tracker.cli.serve import serve
from tracker.cli.users import users
from tracker.settings import ConfigError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Supervision and power-list transparency tracker.

    Settings come from TRACKER_* environment variables (see README).
    """


for command in (
    serve,
    db,
    demo,
    users,
    departments,
    powerlist,
    cases,
    calendar,
    scheduler,
    flags,
    audit,
    scorecards,
    export,
):
    cli.add_command(command)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
