"""`tracker audit`: check the tamper-evident record, sign its head."""

from __future__ import annotations

import json
import sys

import click

from tracker.cli.context import open_context
from tracker.db import session_factory, session_scope
from tracker.i18n import gettext


@click.group()
def audit() -> None:
    """The audit log: a hash chain of every event, flag, action and publication, with signed checkpoints."""


@audit.command("verify")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def verify_command(fmt: str) -> None:
    """Check every entry and every signed checkpoint; exit 1 naming each entry that breaks."""
    from tracker.audit import checkpoints, keys

    ctx = open_context()
    public = keys.signing_key(ctx.settings.audit_key_file).public_key()
    with session_factory(ctx.engine)() as db:
        result = checkpoints.verify(db, public)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(gettext), ensure_ascii=False, indent=2))
    else:
        chain = result.chain
        click.echo(
            gettext(
                "%(entries)d entries, head %(seq)d (%(hash)s), %(checkpoints)d signed checkpoints.",
                entries=chain.entries,
                seq=chain.last_seq,
                hash=chain.last_hash[:16],
                checkpoints=result.checkpoints,
            )
        )
        for problem in result.problems:
            click.echo(f"entry {problem.seq}: {problem.text(gettext)}")
        click.echo(gettext("The log verifies.") if result.ok else gettext("The log does NOT verify."))
    if not result.ok:
        sys.exit(1)


@audit.command("checkpoint")
def checkpoint_command() -> None:
    """Sign the chain's head now (the scheduler does it hourly)."""
    from powerlists.columns import utcnow
    from tracker.audit import checkpoints, keys

    ctx = open_context()
    key = keys.signing_key(ctx.settings.audit_key_file)
    with session_scope(ctx.engine) as db:
        signed = checkpoints.checkpoint(db, key, utcnow())
    if signed is None:
        click.echo(gettext("The latest checkpoint already covers the head: nothing to sign."))
    else:
        click.echo(gettext("Signed checkpoint at entry %(seq)d.", seq=signed.seq))
