"""``alongside audit verify``: check the stored audit chain from first event to head.

Exit codes: 0 intact (prints the count and the head), 1 broken (names the first broken event
and why), 2 bad input or a database without an audit log (message on stderr).

Limits: the database alone cannot reveal a rewrite made by someone able to drop its triggers
(a table owner or superuser) who also recomputes every later hash and moves the head row. Keep
the head printed by each run outside the database and pass it back with ``--expected-head``;
:mod:`alongside.audit.service` lists what is detected and how.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from alongside.audit.service import verify_stored_chain
from alongside.config import Settings
from alongside.db import build_engine

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)

_HEAD = re.compile(r"^(?P<sequence>[1-9][0-9]*):(?P<hash>[0-9a-f]{64})$")


def _bad_input(message: str) -> typer.Exit:
    # Same contract as the root CLI: message on stderr, nothing on stdout, exit code 2.
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _sqlite_reader_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not the driver, starts transactions; wait for a writer's commit if needed.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_reader_begin(connection: Any) -> None:
    # A deferred BEGIN: the snapshot starts at the first read and lasts the whole transaction,
    # without the write lock that the application's BEGIN IMMEDIATE takes.
    connection.exec_driver_sql("BEGIN")


def reader_engine(url: str) -> Engine:
    """An engine for a long read-only pass that never holds the database's write lock.

    On SQLite the application's engine begins IMMEDIATE, which would stop every request for
    the whole verification; this one begins a plain read transaction, and does not create a
    missing database file's directory. Other databases use the application's engine.
    """
    if make_url(url).get_backend_name() != "sqlite":
        return build_engine(url)
    engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_reader_connect)
    event.listen(engine, "begin", _sqlite_reader_begin)
    return engine


def parse_head(text: str) -> tuple[int, str]:
    """Parse ``SEQUENCE:HASH`` as printed by an earlier verification."""
    match = _HEAD.match(text.strip().lower())
    if match is None:
        raise ValueError(
            f"--expected-head {text!r} is not SEQUENCE:HASH (a positive number, a colon and "
            "64 hexadecimal digits, as printed by an earlier `alongside audit verify`)"
        )
    return int(match["sequence"]), match["hash"]


@audit_app.command("verify")
def verify_command(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Data directory (default: $ALONGSIDE_DATA_DIR or ./data)."),
    ] = None,
    expected_head: Annotated[
        str | None,
        typer.Option(
            "--expected-head",
            metavar="SEQUENCE:HASH",
            help="A head printed by an earlier verification and kept outside the database; "
            "the chain must still contain it unchanged.",
        ),
    ] = None,
) -> None:
    """Verify the audit hash chain in constant memory; exit 1 at the first broken event."""
    try:
        head = parse_head(expected_head) if expected_head is not None else None
    except ValueError as error:
        raise _bad_input(str(error)) from None
    try:
        settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    except ValidationError as error:
        raise _bad_input(str(error)) from None
    engine = reader_engine(settings.effective_database_url)
    try:
        with Session(engine) as session:
            result = verify_stored_chain(session, expected_head=head)
            session.rollback()
    except DBAPIError as error:
        raise _bad_input(
            "cannot read the audit log from the database "
            f"({type(error.orig).__name__}); run `alongside db upgrade` first if it is new"
        ) from None
    finally:
        engine.dispose()
    typer.echo(result.describe())
    if not result.ok:
        raise typer.Exit(code=1)
    if result.head is not None:
        typer.echo(
            "Keep this head outside the database and pass it next time as "
            f"--expected-head {result.head[0]}:{result.head[1]}"
        )


def register(app: typer.Typer) -> None:
    """Add ``alongside audit ...`` to the root command."""
    app.add_typer(audit_app, name="audit")
