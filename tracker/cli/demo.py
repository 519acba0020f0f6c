"""`tracker demo`: build the demo region."""

from __future__ import annotations

import click

from tracker.cli.context import open_context
from tracker.demo import DEMO_ADMIN, DEMO_SUPERVISOR, LARGE_CASES, OPERATOR_PASSWORD, build_demo


@click.command()
@click.option(
    "--size",
    type=click.Choice(["small", "large"]),
    default="small",
    show_default=True,
    help=(
        "small: the demo region (30 city departments, their users and power lists, a year of cases); "
        "large: also 360 district departments and the benchmark dataset, a year of 1,000,000 more "
        "cases with their steps and events, written in bulk (a few minutes on SQLite)."
    ),
)
@click.option("--cases/--no-cases", default=True, show_default=True, help="Also report a year of cases.")
@click.option(
    "--large-cases",
    type=click.IntRange(min=0),
    default=LARGE_CASES,
    show_default=True,
    help="With --size large: how many cases the benchmark dataset has.",
)
def demo(size: str, cases: bool, large_cases: int) -> None:
    """Build the demo region (idempotent: run it again to fill in what is missing)."""
    ctx = open_context()
    build_demo(
        ctx.engine, size, progress=click.echo, tz=ctx.settings.tz, cases=cases, large_cases=large_cases
    )
    click.echo("")
    click.echo("Demo accounts (demo passwords; never use these outside a demo):")
    click.echo(f"  admin       {DEMO_ADMIN.email:<28} {DEMO_ADMIN.password}")
    click.echo(f"  supervisor  {DEMO_SUPERVISOR.email:<28} {DEMO_SUPERVISOR.password}")
    click.echo(f"  operators   <code>@demo.gov.cn (e.g. scjgj@demo.gov.cn)  {OPERATOR_PASSWORD}")
