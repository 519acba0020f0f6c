"""What every command needs: settings, the engine, the language; errors as one line."""

from __future__ import annotations

from dataclasses import dataclass

import click
from sqlalchemy import Engine

from tracker.db import check_connection, check_schema, import_models, make_engine
from tracker.i18n import activate
from tracker.settings import Settings, load_settings


@dataclass(frozen=True)
class CommandContext:
    settings: Settings
    engine: Engine


def open_context(*, migrated: bool = True) -> CommandContext:
    """Load settings and connect; with ``migrated`` also require the schema to be current."""
    settings = load_settings()
    activate(settings.language)
    import_models()
    engine = make_engine(settings.database_url)
    if migrated:
        check_schema(engine)
    else:
        check_connection(engine)
    return CommandContext(settings, engine)


class Failure(click.ClickException):
    """A one-line error with exit code 1."""

    def format_message(self) -> str:
        return self.message

    def show(self, file: object = None) -> None:
        click.echo(f"error: {self.message}", err=True)
