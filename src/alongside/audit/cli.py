"""``alongside audit verify`` and ``alongside audit seal``.

``verify`` first seals what is waiting (as the worker does every few seconds), then checks the
chain from its first event to its head. Exit codes: 0 intact (prints the count and a
checkpoint), 1 broken (names the first broken event and why), 2 bad input or a database without
an audit log (message on stderr).

``seal`` seals what is waiting and prints the checkpoint ``SEQUENCE:HASH:MAC``.

Limits: the database alone cannot reveal a rewrite made by someone able to drop its triggers
(a table owner or superuser) who also recomputes every later hash and moves the head row. Keep
the checkpoints printed by each run (and appended by the sealer to the checkpoint file) outside
the database and pass one back with ``--expected-head``; its MAC, made with a key that is not
in the database, shows it came from this installation. :mod:`alongside.audit.service` lists
what is detected and how.
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

from alongside.audit.sealer import (
    Checkpoint,
    SealResult,
    checkpoint_key,
    checkpoint_mac,
    seal_pending,
)
from alongside.audit.service import count_unsealed, verify_stored_chain
from alongside.config import Settings
from alongside.db import build_engine
from alongside.errors import ConfigurationError

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)

_HEAD = re.compile(r"^(?P<sequence>[1-9][0-9]*):(?P<hash>[0-9a-f]{64})(?::(?P<mac>[0-9a-f]{64}))?$")


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


def parse_checkpoint(text: str) -> tuple[int, str, str | None]:
    """Parse ``SEQUENCE:HASH`` or ``SEQUENCE:HASH:MAC`` as printed by ``verify`` or ``seal``."""
    match = _HEAD.match(text.strip().lower())
    if match is None:
        raise ValueError(
            f"--expected-head {text!r} is not SEQUENCE:HASH or SEQUENCE:HASH:MAC (a positive "
            "number, a colon and 64 hexadecimal digits, optionally a colon and 64 more, as "
            "printed by an earlier `alongside audit verify` or `alongside audit seal`)"
        )
    return int(match["sequence"]), match["hash"], match["mac"]


def parse_head(text: str) -> tuple[int, str]:
    """Parse ``SEQUENCE:HASH[:MAC]`` as printed by an earlier verification (MAC not checked)."""
    sequence, digest, _mac = parse_checkpoint(text)
    return sequence, digest


def _seal_now(settings: Settings) -> SealResult:
    from alongside.db import DatabaseOptions, make_sessionmaker

    engine = build_engine(settings.effective_database_url, DatabaseOptions.from_settings(settings))
    try:
        result = seal_pending(
            make_sessionmaker(engine),
            checkpoint_key(settings.secret_key),
            checkpoint_file=settings.effective_audit_checkpoint_file,
            wait=True,
        )
    finally:
        engine.dispose()
    # With wait, a sealer at work is waited for, never skipped: there is always a result.
    assert result is not None  # noqa: S101 - seal_pending returns None only without wait
    return result


def _load_settings(data_dir: Path | None) -> Settings:
    try:
        return Settings(data_dir=data_dir) if data_dir is not None else Settings()
    except ValidationError as error:
        raise _bad_input(str(error)) from None


def _require_database(settings: Settings) -> None:
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        if not Path(url.database).exists():
            raise _bad_input(
                f"there is no database at {url.database}; check --data-dir, or run "
                "`alongside db upgrade` first if it is new"
            )


@audit_app.command("seal")
def seal_command(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Data directory (default: $ALONGSIDE_DATA_DIR or ./data)."),
    ] = None,
) -> None:
    """Seal audit events waiting for the sealer now; print the checkpoint to keep."""
    settings = _load_settings(data_dir)
    _require_database(settings)
    try:
        result = _seal_now(settings)
    except (DBAPIError, ConfigurationError) as error:
        raise _bad_input(_unreadable(error)) from None
    typer.echo(f"Sealed {result.sealed} event(s).")
    if result.checkpoint.sequence:
        typer.echo(f"Checkpoint (keep it outside the database): {result.checkpoint}")


def _unreadable(error: Exception) -> str:
    name = type(getattr(error, "orig", None) or error).__name__
    return (
        f"cannot read the audit log from the database ({name}); "
        "run `alongside db upgrade` first if it is new"
    )


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
            metavar="SEQUENCE:HASH[:MAC]",
            help="A checkpoint printed by an earlier verification or seal (or from the "
            "checkpoint file), kept outside the database; "
            "the chain must still contain it unchanged.",
        ),
    ] = None,
    no_seal: Annotated[
        bool,
        typer.Option(
            "--no-seal", help="Only read: do not seal waiting events first (a read-only role)."
        ),
    ] = False,
) -> None:
    """Verify the audit hash chain in constant memory; exit 1 at the first broken event."""
    try:
        parsed = parse_checkpoint(expected_head) if expected_head is not None else None
    except ValueError as error:
        raise _bad_input(str(error)) from None
    settings = _load_settings(data_dir)
    key = checkpoint_key(settings.secret_key)
    head = None
    if parsed is not None:
        sequence, digest, mac = parsed
        if mac is not None and not Checkpoint(sequence, digest, mac).is_authentic(key):
            raise _bad_input(
                "--expected-head: this checkpoint's MAC was not made with this installation's "
                "secret key (ALONGSIDE_SECRET_KEY); it was forged, mistyped or comes from "
                "another installation"
            )
        head = (sequence, digest)
    _require_database(settings)
    try:
        if not no_seal:
            try:
                _seal_now(settings)
            except ConfigurationError:
                pass  # no head row to seal onto: the verification below says what is wrong
        engine = reader_engine(settings.effective_database_url)
        try:
            with Session(engine) as session:
                result = verify_stored_chain(session, expected_head=head)
                waiting = count_unsealed(session)
                session.rollback()
        finally:
            engine.dispose()
    except (DBAPIError, ConfigurationError) as error:
        raise _bad_input(_unreadable(error)) from None
    typer.echo(result.describe())
    if not result.ok:
        raise typer.Exit(code=1)
    if waiting:
        typer.echo(f"{waiting} newer event(s) are not sealed yet (the worker seals them shortly).")
    if result.head is not None:
        checkpoint = Checkpoint(
            result.head[0], result.head[1], checkpoint_mac(key, result.head[0], result.head[1])
        )
        typer.echo(
            "Keep this checkpoint outside the database and pass it next time as "
            f"--expected-head {checkpoint}"
        )


def register(app: typer.Typer) -> None:
    """Add ``alongside audit ...`` to the root command."""
    app.add_typer(audit_app, name="audit")
