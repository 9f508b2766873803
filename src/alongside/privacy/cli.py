"""``alongside clients erase ID --reason``: erase a client's record as an operator.

For the operator acting on a decision already made (a court order, a clinical lead's written
decision outside Alongside): the same erasure as an approved request, recorded in the audit
log as done by Alongside itself. Prints the certificate: what was erased, what was kept and
why. Exit 2 with a message for an unknown client, one already erased, or a missing reason.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from alongside.config import Settings
from alongside.errors import AlongsideError

clients_app = typer.Typer(help="Clients' records: erasure.", no_args_is_help=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: $ALONGSIDE_DATA_DIR or ./data)."),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


@clients_app.command("erase")
def erase_command(
    client_id: Annotated[str, typer.Argument(help="The client's record id.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why (kept after erasure: no personal details).")
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the certificate as JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Erase a client's record now (destroy their key) and print the certificate."""
    from alongside.db import get_engine, session_factory_for, session_scope
    from alongside.kit.time import utcnow
    from alongside.migrate import current_revision
    from alongside.models import Client
    from alongside.privacy.erasure import clean_reason, erase_client

    try:
        wanted = uuid.UUID(client_id)
    except ValueError:
        raise _fail(f"{client_id!r} is not a record id (a UUID).") from None
    try:
        settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    except ValidationError as exc:
        raise _fail(str(exc)) from None
    if current_revision(get_engine(settings.effective_database_url)) is None:
        raise _fail("The database has no tables yet. Run `alongside db upgrade` first.")
    try:
        text = clean_reason(reason)
        with session_scope(session_factory_for(settings)) as session:
            client = session.get(Client, wanted)
            if client is None:
                raise _fail(f"No client with the id {wanted}.")
            certificate = erase_client(session, client, actor_user=None, reason=text, now=utcnow())
    except AlongsideError as exc:
        raise _fail(exc.message) from None
    if as_json:
        typer.echo(json.dumps(certificate, indent=2, sort_keys=True))
        return
    typer.echo(f"Erased record {wanted} at {certificate['erased_at']}.")
    for entry in certificate["erased"]:
        typer.echo(f"  erased: {entry['what']} ({entry['count']})")
    typer.echo(f"  messages not sent: {certificate['messages_cancelled']}")
    typer.echo(f"  login erased: {'yes' if certificate['login_erased'] else 'there was none'}")
    for entry in certificate["kept"]:
        typer.echo(f"  kept: {entry['what']}: {entry['why']}")


def register(app: typer.Typer) -> None:
    """Add ``alongside clients`` to the root command."""
    app.add_typer(clients_app, name="clients")
