"""`tracker scheduler`: the watcher process."""

from __future__ import annotations

import logging

import click

from tracker.cli.context import open_context


@click.group()
def scheduler() -> None:
    """The scheduler (run exactly one, or TRACKER_RUN_SCHEDULER=on in a single web process)."""


@scheduler.command("run")
def run_command() -> None:
    """Run the scheduler in the foreground until stopped."""
    from scheduler.runner import run_forever  # APScheduler loads only for this command

    ctx = open_context()
    logging.basicConfig(
        level=ctx.settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    run_forever(ctx.engine, ctx.settings)
