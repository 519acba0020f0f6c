"""`tracker db`: migrations."""

from __future__ import annotations

import click

from tracker.cli.context import open_context
from tracker.db import describe, upgrade


@click.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def upgrade_command() -> None:
    """Apply every pending migration (safe to run again)."""
    ctx = open_context(migrated=False)
    upgrade(ctx.engine)
    click.echo(f"database {describe(ctx.engine)} is up to date")
