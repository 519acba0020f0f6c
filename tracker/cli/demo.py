"""`tracker demo`: build the demo region."""

from __future__ import annotations

import click

from tracker.cli.context import open_context
from tracker.demo import DEMO_ADMIN, DEMO_SUPERVISOR, OPERATOR_PASSWORD, build_demo


@click.command()
@click.option(
    "--size",
    type=click.Choice(["small", "large"]),
    default="small",
    show_default=True,
    help="small: the demo region; large: the benchmark dataset too.",
)
@click.option("--cases/--no-cases", default=True, show_default=True, help="Also report a year of cases.")
def demo(size: str, cases: bool) -> None:
    """Build the demo region (idempotent: run it again to fill in what is missing)."""
    ctx = open_context()
    build_demo(ctx.engine, size, progress=click.echo, tz=ctx.settings.tz, cases=cases)
    click.echo("")
    click.echo("Demo accounts (demo passwords; never use these outside a demo):")
    click.echo(f"  admin       {DEMO_ADMIN.email:<28} {DEMO_ADMIN.password}")
    click.echo(f"  supervisor  {DEMO_SUPERVISOR.email:<28} {DEMO_SUPERVISOR.password}")
    click.echo(f"  operators   <code>@demo.gov.cn (e.g. scjgj@demo.gov.cn)  {OPERATOR_PASSWORD}")
