"""``alongside measures due``: create the repeat-measure links that are due and email them.

Run it from cron or a scheduler (the worker may call :func:`due_command` later); running it
twice creates nothing twice (idempotent per plan and due time). Prints counts and ids only,
never a link: the token in a link is the client's credential.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from alongside.config import Settings

measures_app = typer.Typer(help="Measurement-based care: repeat measures.", no_args_is_help=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: $ALONGSIDE_DATA_DIR or ./data)."),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


@measures_app.command("due")
def due_command(data_dir: DataDir = None) -> None:
    """Create links for repeat measures that are due and put the emails in the outbox."""
    from alongside.db import get_engine, session_factory_for, session_scope
    from alongside.kit.time import utcnow
    from alongside.measures.service import due_measures
    from alongside.migrate import current_revision

    try:
        settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    except ValidationError as exc:
        raise _fail(str(exc)) from None
    if current_revision(get_engine(settings.effective_database_url)) is None:
        raise _fail("The database has no tables yet. Run `alongside db upgrade` first.")
    # The same base the worker's job and the pages put in emails (never a request's Host).
    link_base = settings.effective_public_url
    with session_scope(session_factory_for(settings)) as session:
        report = due_measures(session, now=utcnow(), link_base=link_base)
        created = [(str(d.plan_id), d.message_id is not None) for d in report.created]
        skipped = [(str(d.plan_id), d.skipped or "") for d in report.skipped]
    emailed = sum(1 for _, sent in created if sent)
    typer.echo(f"Created {len(created)} link(s); {emailed} emailed; {len(skipped)} skipped.")
    for plan_id, why in skipped:
        typer.echo(f"  skipped plan {plan_id}: {why}")


def register(app: typer.Typer) -> None:
    """Add ``alongside measures`` to the root command."""
    app.add_typer(measures_app, name="measures")
