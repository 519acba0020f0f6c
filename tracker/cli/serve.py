"""`tracker serve`: the web server."""

from __future__ import annotations

import click

from tracker.cli.context import Failure, open_context


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web application."""
    ctx = open_context()  # fail here, in one line, rather than in every worker
    if workers > 1 and ctx.settings.run_scheduler:
        raise Failure(
            "TRACKER_RUN_SCHEDULER=on runs the scheduler in every worker: use --workers 1, "
            "or turn it off and run `tracker scheduler run` once"
        )
    import uvicorn  # only here: every other command starts faster without it

    uvicorn.run(
        "tracker.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        server_header=False,
        log_level=ctx.settings.log_level.lower(),
    )
