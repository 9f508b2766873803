"""``alongside scheduling``: the periodic jobs of scheduling, for cron or a systemd timer.

- ``alongside scheduling reminders [--sms-webhook NAME]``: enqueue the appointment reminders
  that are due (idempotent: run it every few minutes).
- ``alongside scheduling rescreens --as EMAIL``: judge submitted re-screens (deterioration or a
  risk flag sends the case back to triage and alerts the clinical lead), then create the
  re-screen links that are due, acting as the coordinator ``EMAIL``; prints the link paths.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy import select

from alongside.config import Settings
from alongside.errors import AlongsideError
from alongside.kit.time import utcnow

scheduling_app = typer.Typer(
    help="Scheduling jobs: reminders and re-screens.", no_args_is_help=True
)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: $ALONGSIDE_DATA_DIR or ./data)."),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _settings(data_dir: Path | None) -> Settings:
    try:
        return Settings(data_dir=data_dir) if data_dir is not None else Settings()
    except ValidationError as exc:
        raise _fail(str(exc)) from None


@scheduling_app.command("reminders")
def reminders_command(
    data_dir: DataDir = None,
    sms_webhook: Annotated[
        str | None,
        typer.Option("--sms-webhook", help="Name of the configured webhook of the SMS gateway."),
    ] = None,
) -> None:
    """Enqueue the appointment reminders that are due now."""
    from alongside.db import session_factory_for, session_scope
    from alongside.scheduling.reminders import send_due_reminders

    settings = _settings(data_dir)
    if sms_webhook is not None and sms_webhook not in settings.webhooks:
        raise _fail(f"No webhook named {sms_webhook!r} is configured (ALONGSIDE_WEBHOOKS).")
    with session_scope(session_factory_for(settings)) as session:
        count = send_due_reminders(session, now=utcnow(), sms_webhook=sms_webhook)
    typer.echo(f"Enqueued {count} reminder(s).")


@scheduling_app.command("rescreens")
def rescreens_command(
    acting_as: Annotated[
        str, typer.Option("--as", help="Email of a coordinator or clinical lead.")
    ],
    data_dir: DataDir = None,
) -> None:
    """Judge submitted re-screens, then create the links that are due."""
    from alongside.accounts.service import normalise_email
    from alongside.db import session_factory_for, session_scope
    from alongside.models import User
    from alongside.scheduling.waitlist import check_rescreens, due_rescreens

    settings = _settings(data_dir)
    try:
        with session_scope(session_factory_for(settings)) as session:
            user = session.scalar(select(User).where(User.email == normalise_email(acting_as)))
            if user is None or not user.is_active:
                raise _fail(f"No active user with the email {acting_as}.")
            now = utcnow()
            returned = check_rescreens(
                session, now=now, case_url_base=settings.effective_public_url
            )
            due = due_rescreens(session, user=user, now=now)
            lines = [f"{r.entry.id} {r.link_path}" for r in due]
    except AlongsideError as exc:
        raise _fail(exc.message) from None
    typer.echo(f"{len(returned)} case(s) sent back to triage; {len(lines)} re-screen link(s):")
    for line in lines:
        typer.echo(f"  {line}")


def register(app: typer.Typer) -> None:
    """Add ``alongside scheduling`` to the root command."""
    app.add_typer(scheduling_app, name="scheduling")
