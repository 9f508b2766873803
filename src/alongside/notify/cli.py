"""``alongside worker`` drains the outbox; ``alongside outbox`` shows and retries failures.

``alongside worker [--data-dir DIR] [--once]`` runs until SIGINT/SIGTERM (or, with ``--once``,
delivers what is due now and exits). Run one or more in production; ``alongside serve`` runs
one in-process by default (``ALONGSIDE_RUN_WORKER_IN_SERVER``).

``alongside outbox list [--status dead]`` and ``alongside outbox retry ID`` are the operator's
view of every organisation's messages (the admin page shows one organisation's). Neither prints
message bodies.
"""

from __future__ import annotations

import signal
import threading
import uuid
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alongside.config import Settings
from alongside.errors import AlongsideError
from alongside.kit.time import utcnow
from alongside.models import OutboxMessage, OutboxStatus

outbox_app = typer.Typer(help="The outbox of alerts and reminders.", no_args_is_help=True)

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


def _session_factory(settings: Settings) -> sessionmaker[Session]:
    from alongside.db import get_engine, session_factory_for
    from alongside.migrate import current_revision

    if current_revision(get_engine(settings.effective_database_url)) is None:
        raise _fail("The database has no tables yet. Run `alongside db upgrade` first.")
    return session_factory_for(settings)


def worker_command(
    data_dir: DataDir = None,
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is due now, then exit.")
    ] = False,
) -> None:
    """Deliver the outbox: email over SMTP and signed webhooks, with retries."""
    from alongside.kit.logging import configure_logging
    from alongside.notify.worker import Worker

    settings = _settings(data_dir)
    factory = _session_factory(settings)
    worker = Worker.from_settings(settings, factory)
    try:
        if once:
            tried = worker.run_once()
            typer.echo(f"Tried {tried} message(s).")
            if worker.sealer is not None:
                sealed = worker.sealer.seal_once()
                typer.echo(f"Sealed {sealed} audit event(s).")
            return
        configure_logging()
        stop = threading.Event()

        def _stop(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        worker.run_forever(stop)
    finally:
        worker.close()


@outbox_app.command("list")
def outbox_list(
    data_dir: DataDir = None,
    status: Annotated[
        list[OutboxStatus] | None,
        typer.Option("--status", help="Statuses to show (repeatable; default: dead, failed)."),
    ] = None,
) -> None:
    """List messages by status across organisations (no bodies)."""
    from alongside.db import session_scope

    statuses = status or [OutboxStatus.DEAD, OutboxStatus.FAILED]
    factory = _session_factory(_settings(data_dir))
    with session_scope(factory) as session:
        messages = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status.in_(statuses))
            .order_by(OutboxMessage.created_at.desc())
            .limit(500)
        ).all()
        for m in messages:
            typer.echo(
                f"{m.id}  {m.status.value:<9} {m.kind:<20} {m.channel.value:<7} "
                f"{m.recipient}  attempts={m.attempts}  {m.last_error or ''}".rstrip()
            )
    if not messages:
        typer.echo("No messages.")


@outbox_app.command("retry")
def outbox_retry(
    message_id: Annotated[str, typer.Argument(help="The message id (from `outbox list`).")],
    data_dir: DataDir = None,
) -> None:
    """Send a failed or dead message again now."""
    from alongside.db import session_scope
    from alongside.notify import service

    try:
        parsed = uuid.UUID(message_id)
    except ValueError:
        raise _fail(f"{message_id!r} is not a message id.") from None
    factory = _session_factory(_settings(data_dir))
    try:
        with session_scope(factory) as session:
            message = session.get(OutboxMessage, parsed)
            if message is None:
                raise _fail(f"There is no message {parsed}.")
            service.retry(session, parsed, organization_id=message.organization_id, now=utcnow())
    except AlongsideError as exc:
        raise _fail(exc.message) from None
    typer.echo(f"Message {parsed} will be sent again.")


def register(app: typer.Typer) -> None:
    """Add ``alongside worker`` and ``alongside outbox`` to the root app."""
    app.command("worker")(worker_command)
    app.add_typer(outbox_app, name="outbox")
