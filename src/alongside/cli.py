"""The ``alongside`` command: thin wrappers that call the same services as the routes.

Each domain with commands of its own exposes ``register(app)`` in its ``cli.py``; they are
registered at the bottom of this file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from alongside import __version__
from alongside.config import DEMO_SQLITE_FILE, Mode, Settings
from alongside.errors import AlongsideError
from alongside.models.user import Role

app = typer.Typer(
    name="alongside",
    help="Alongside: screening, triage, scheduling and notes for clinics. A clinician decides.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
keys_app = typer.Typer(help="Key-encryption keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: $ALONGSIDE_DATA_DIR or ./data)."),
]


def fail(message: str) -> typer.Exit:
    """Print a message on stderr and return the exit for bad input (code 2)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"alongside {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """Alongside command line."""


def _settings(data_dir: Path | None, **overrides: object) -> Settings:
    values: dict[str, object] = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise fail(str(exc)) from None


# SIGTERM ends the server within 10 s: requests in flight get this long, then the worker
# thread gets the rest of the budget (alongside.app.SHUTDOWN_WORKER_WAIT_S).
GRACEFUL_SHUTDOWN_S = 5


def _serve(settings: Settings, workers: int = 1) -> None:
    import uvicorn

    from alongside.app import create_app
    from alongside.kit.logging import configure_logging

    configure_logging()
    common: dict[str, object] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "proxy_headers": True,
        "forwarded_allow_ips": "127.0.0.1",
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
    }
    if workers > 1:
        # Several processes: uvicorn imports the app in each (settings from the environment,
        # which the command line has already exported). One process, or a separate
        # `alongside worker`, delivers the outbox: see docs/operators.md.
        try:
            settings.check_secrets()
        except AlongsideError as exc:
            raise fail(exc.message) from None
        uvicorn.run("alongside.app:create_app", factory=True, workers=workers, **common)  # type: ignore[arg-type]
        return
    try:
        application = create_app(settings)
    except AlongsideError as exc:
        raise fail(exc.message) from None
    uvicorn.run(application, **common)  # type: ignore[arg-type]


@app.command()
def serve(
    data_dir: DataDirOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes (PostgreSQL only; each runs requests on its own threadpool).",
        ),
    ] = 1,
) -> None:
    """Serve Alongside (migrate the database first with `alongside db upgrade`)."""
    settings = _settings(data_dir, host=host, port=port)
    from alongside.db import get_engine
    from alongside.migrate import current_revision

    if current_revision(get_engine(settings.effective_database_url)) is None:
        raise fail("The database has no tables yet. Run `alongside db upgrade` first.")
    if workers > 1:
        if not settings.effective_database_url.startswith("postgresql"):
            raise fail(
                "--workers above 1 needs PostgreSQL (ALONGSIDE_DATABASE_URL): SQLite has one "
                "writer at a time, so more processes would only queue."
            )
        _export_for_workers(settings, data_dir)
    _serve(settings, workers)


def _export_for_workers(settings: Settings, data_dir: Path | None) -> None:
    # Worker processes read their settings from the environment: pass on what the command line
    # chose (the only place besides config.py that writes it, for child processes).
    import os

    os.environ["ALONGSIDE_HOST"] = settings.host
    os.environ["ALONGSIDE_PORT"] = str(settings.port)
    if data_dir is not None:
        os.environ["ALONGSIDE_DATA_DIR"] = str(data_dir)


@app.command()
def demo(
    data_dir: DataDirOption = None,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: $ALONGSIDE_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (default: $ALONGSIDE_PORT).")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="Seed the demo clinic into this PostgreSQL database (default: "
            "$ALONGSIDE_DATABASE_URL, else a fresh SQLite file in the data directory).",
        ),
    ] = None,
    seed_only: Annotated[
        bool, typer.Option("--seed-only", help="Create the demo clinic and exit without serving.")
    ] = False,
) -> None:
    """Create a synthetic clinic (a fresh SQLite file, or in the given database) and serve it."""
    base = _settings(data_dir, database_url=database_url)
    demo_db = (base.data_dir / DEMO_SQLITE_FILE).resolve()
    url = base.database_url or f"sqlite:///{demo_db}"
    settings = _settings(data_dir, mode=Mode.DEMO, host=host, port=port, database_url=url)
    from alongside.db import build_engine, key_provider_for, make_sessionmaker, session_scope
    from alongside.demo.seed import DEMO_PASSWORD, seed_demo_clinic
    from alongside.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if base.database_url is None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{demo_db}{suffix}").unlink(missing_ok=True)
    upgrade(settings.effective_database_url)
    engine = build_engine(settings.effective_database_url)
    try:
        with session_scope(make_sessionmaker(engine, key_provider_for(settings))) as session:
            present = _demo_state(session)
            clinic = None if present == "demo" else seed_demo_clinic(session)
            if clinic is not None:
                logins = list(clinic.logins)
                intake_links = list(clinic.intake_links)
                calendar_feed_path = clinic.calendar_feed_path
                client_count = len(clinic.clients)
                former_count = len(clinic.former_clients)
    finally:
        engine.dispose()
    where = demo_db if base.database_url is None else _safe_url(url)
    shown_host, shown_port = settings.host, settings.port
    if clinic is None:
        typer.echo(f"The demo clinic is already in {where}; serving it as it is.")
    else:
        typer.echo(f"Demo clinic ready: {client_count} synthetic clients in {where}")
        typer.echo(
            f"Past year: {former_count} former clients' intakes, decided and discharged "
            "(the lead's rule preview replays them)."
        )
        typer.echo(f"Sign in with password '{DEMO_PASSWORD}' as:")
        for email, role in logins:
            typer.echo(f"  {email:<28} {role}")
        for path in intake_links:
            typer.echo(
                f"Open a client's intake (no sign-in): http://{shown_host}:{shown_port}{path}"
            )
        if calendar_feed_path:
            typer.echo(
                f"First clinician's calendar feed: http://{shown_host}:{shown_port}"
                f"{calendar_feed_path}"
            )
    if seed_only:
        return
    typer.echo(f"Open http://{shown_host}:{shown_port}/ (Ctrl+C to stop)")
    _serve(settings)


def _demo_state(session: object) -> str:
    """ "empty", "demo" (the demo clinic is there already); refuses a clinic's real data."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from alongside.demo.seed import DEMO_ORGANIZATION_SLUG
    from alongside.models import Organization

    assert isinstance(session, Session)  # noqa: S101 - typed loosely to keep imports lazy
    slugs = set(session.scalars(select(Organization.slug)))
    if not slugs:
        return "empty"
    if slugs == {DEMO_ORGANIZATION_SLUG}:
        return "demo"
    raise fail(
        "This database holds an organisation that is not the demo clinic. The demo only seeds "
        "an empty database (or one holding only the demo clinic); give it another database "
        "with --database-url."
    )


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@db_app.command("upgrade")
def db_upgrade(
    data_dir: DataDirOption = None,
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database up (default: to the newest revision)."""
    from alongside.migrate import upgrade

    settings = _settings(data_dir)
    upgrade(settings.effective_database_url, revision)
    if revision == "head":
        from alongside.accounts.service import seal_client_logins
        from alongside.db import session_factory_for, session_scope

        # Client logins from before they were encrypted need the key file: sealed here.
        with session_scope(session_factory_for(settings)) as session:
            sealed = seal_client_logins(session)
        if sealed:
            typer.echo(f"Encrypted {sealed} client sign-ins with their clients' keys.")
    typer.echo(f"Database at {revision}.")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")],
    data_dir: DataDirOption = None,
) -> None:
    """Migrate the database down to a revision."""
    from alongside.migrate import downgrade

    settings = _settings(data_dir)
    downgrade(settings.effective_database_url, revision)
    typer.echo(f"Database at {revision}.")


@db_app.command("current")
def db_current(data_dir: DataDirOption = None) -> None:
    """Print the revision the database is at."""
    from alongside.db import get_engine
    from alongside.migrate import current_revision

    settings = _settings(data_dir)
    typer.echo(current_revision(get_engine(settings.effective_database_url)) or "none")


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="Sign-in email.")],
    name: Annotated[str, typer.Option("--name", help="Name shown to colleagues.")],
    role: Annotated[Role, typer.Option("--role", help="What the person does.")],
    organization: Annotated[
        str, typer.Option("--org", help="Organisation slug; created when new.")
    ],
    password: Annotated[
        str, typer.Option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    ],
    country: Annotated[
        str | None,
        typer.Option(
            "--country",
            help=(
                "The organisation's country, required when --org is new: ISO 3166-1 alpha-2 "
                "(US, IE, CA, AU, NZ, FR, ...) or a UK nation (GB-ENG, GB-SCT, GB-WLS, "
                "GB-NIR). It chooses the crisis resources clients see."
            ),
        ),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Add a user to an organisation (creating the organisation, in its country, if new)."""
    from sqlalchemy import select

    from alongside.accounts.service import add_staff_member
    from alongside.db import session_factory_for, session_scope
    from alongside.kit.time import utcnow
    from alongside.models import Organization
    from alongside.triage.crisis_admin import create_organization
    from alongside.triage.crisis_resources import validate_country

    settings = _settings(data_dir)
    try:
        with session_scope(session_factory_for(settings)) as db:
            org = db.scalar(select(Organization).where(Organization.slug == organization))
            if org is None:
                if country is None:
                    raise fail(
                        f"--country is required to create the organisation {organization!r}: "
                        "ISO 3166-1 alpha-2 (for example US, IE, FR) or a UK nation (GB-ENG, "
                        "GB-SCT, GB-WLS, GB-NIR). It chooses the crisis resources clients see."
                    )
                org = create_organization(db, name=organization, slug=organization, country=country)
            elif country is not None and validate_country(country) != org.country:
                raise fail(
                    f"The organisation {organization!r} is in {org.country}; an administrator "
                    "changes its country on the Crisis resources page."
                )
            user = add_staff_member(
                db,
                organization=org,
                email=email,
                display_name=name,
                role=role,
                password=password,
                by=None,
                now=utcnow(),
            )
            user_id = user.id
    except AlongsideError as exc:
        raise fail(exc.message) from None
    typer.echo(f"Added {role.value} {email} ({user_id}).")
    if role in (Role.CLINICAL_LEAD, Role.ADMIN):
        typer.echo("This role signs in with a second factor; set it up now:")
        _enrol_totp(settings, email)


def _enrol_totp(settings: Settings, email: str) -> None:
    from sqlalchemy import select

    from alongside.accounts.service import normalise_email
    from alongside.db import key_provider_for, session_factory_for, session_scope
    from alongside.models import User
    from alongside.security.mfa import begin_enrolment

    with session_scope(session_factory_for(settings)) as db:
        user = db.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None:
            raise fail(f"No user with the email {email}.")
        secret, uri = begin_enrolment(user, key_provider_for(settings))
        # Enabled at once: the person adds it to their app before their first sign-in.
        user.totp_enabled = True
    typer.echo(f"  secret: {secret}")
    typer.echo(f"  or add this URI to the authenticator app: {uri}")


@user_app.command("totp")
def user_totp(
    email: Annotated[str, typer.Argument(help="The user's sign-in email.")],
    data_dir: DataDirOption = None,
) -> None:
    """Set up (or reset) a user's second factor and print the secret to give them."""
    _enrol_totp(_settings(data_dir), email)


@user_app.command("disable")
def user_disable(
    email: Annotated[str, typer.Argument(help="The user's sign-in email.")],
    data_dir: DataDirOption = None,
) -> None:
    """Disable a user; their sessions and tokens stop working on the next request."""
    from alongside.accounts.service import disable_user, user_by_email
    from alongside.db import session_factory_for, session_scope
    from alongside.kit.time import utcnow

    try:
        with session_scope(session_factory_for(_settings(data_dir))) as db:
            disable_user(db, user_by_email(db, email), by=None, now=utcnow())
    except AlongsideError as exc:
        raise fail(exc.message) from None
    typer.echo(f"Disabled {email}.")


@keys_app.command("rotate")
def keys_rotate(
    data_dir: DataDirOption = None,
    retire_old: Annotated[
        bool,
        typer.Option("--retire-old", help="Remove old KEKs from the key file once unused."),
    ] = False,
) -> None:
    """Make a new key-encryption key and re-wrap every client's data key (safe while serving)."""
    from alongside.db import key_provider_for, session_factory_for
    from alongside.privacy.keys import rotate_key_encryption_key

    settings = _settings(data_dir)
    try:
        result = rotate_key_encryption_key(
            session_factory_for(settings), key_provider_for(settings), retire_old=retire_old
        )
    except AlongsideError as exc:
        raise fail(exc.message) from None
    typer.echo(
        f"New key-encryption key {result.new_key_id}; re-wrapped {result.rewrapped} data keys."
    )
    if result.retired:
        typer.echo("Retired: " + ", ".join(result.retired))


DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url", help="Database URL (default: $ALONGSIDE_DATABASE_URL or the data dir's)."
    ),
]


@app.command("backup")
def backup_command(
    destination: Annotated[Path, typer.Argument(help="A new directory for the database copy.")],
    keys_to: Annotated[
        Path, typer.Option("--keys-to", help="Where the key file goes: keep it elsewhere.")
    ],
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Back up the database (safe while serving) and, apart from it, the key file."""
    from alongside.backup import backup

    settings = _settings(data_dir, database_url=database_url)
    try:
        result = backup(settings, destination, keys_to)
    except AlongsideError as exc:
        raise fail(exc.message) from None
    typer.echo(f"Database ({result.kind}) backed up to {result.database_file}.")
    typer.echo(f"Key file copied to {result.key_file}: store it apart from the database copy.")


@app.command("restore")
def restore_command(
    source: Annotated[Path, typer.Argument(help="A directory made by `alongside backup`.")],
    keys_from: Annotated[
        Path, typer.Option("--keys-from", help="The key file saved with the backup (or its dir).")
    ],
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Restore a backup into a new database (PostgreSQL: created here) and its key file."""
    from alongside.backup import restore

    settings = _settings(data_dir, database_url=database_url)
    try:
        result = restore(settings, source, keys_from)
    except AlongsideError as exc:
        raise fail(exc.message) from None
    typer.echo(f"Restored into {result.database}; key file at {result.key_file}.")
    typer.echo("Check it: alongside db current (with the same settings).")


_UNMIGRATED = ("no such table", "does not exist")


def main() -> None:
    """Entry point of the ``alongside`` script."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    # Everything Alongside writes (database, key file, backups, cards) is for its owner
    # alone, whatever umask the shell or service manager set.
    os.umask(0o077)
    try:
        app(prog_name="alongside")
    except (OperationalError, ProgrammingError) as exc:
        # A command run before `alongside db upgrade`: say what to do, not a traceback.
        if any(marker in str(exc.orig) for marker in _UNMIGRATED):
            typer.echo(
                "error: the database has no Alongside tables yet (or is older than this "
                "version). Run `alongside db upgrade` with the same --data-dir first.",
                err=True,
            )
            sys.exit(2)
        raise


from alongside.instruments import cli as instruments_cli  # noqa: E402

instruments_cli.register(app)

from alongside.risk import cli as risk_cli  # noqa: E402

risk_cli.register(app)

from alongside.triage import cli as triage_cli  # noqa: E402

triage_cli.register(app)

from alongside.notify import cli as notify_cli  # noqa: E402

notify_cli.register(app)

from alongside.audit import cli as audit_cli  # noqa: E402

audit_cli.register(app)

from alongside.measures import cli as measures_cli  # noqa: E402

measures_cli.register(app)

from alongside.scheduling import cli as scheduling_cli  # noqa: E402

scheduling_cli.register(app)

from alongside.privacy import cli as privacy_cli  # noqa: E402

privacy_cli.register(app)


if __name__ == "__main__":
    main()
