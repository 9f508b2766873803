"""Backups and restores of the database and, kept apart, the key file.

API
---
- :func:`backup` ``(settings, destination, keys_to) -> BackupResult``: a consistent copy of
  the database into the new directory ``destination`` (SQLite: the online backup API, safe
  while the server writes; PostgreSQL: ``pg_dump --format=custom``), checked after writing,
  and a copy of the key file into ``keys_to``. The two belong in different places: a
  database backup without its key file is unreadable, which is what makes erasure reach
  backups (a client's data key is gone from every live database).
- :func:`restore` ``(settings, source, keys_from) -> RestoreResult``: the reverse, into the
  database ``settings`` names, which must not exist yet (SQLite: a new file; PostgreSQL: the
  database is created, then ``pg_restore`` fills it), and the key file where ``settings``
  expects it (refused if a different one is already there).

Refusals raise :class:`BackupError` (exit 2 in the CLI) with what to do. Everything written
is 0600 in 0700 directories.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from alongside import __version__
from alongside.config import Settings
from alongside.errors import InvalidInput
from alongside.kit.files import private_dir, tighten

MANIFEST = "manifest.json"
SQLITE_NAME = "alongside.sqlite3"
PG_NAME = "alongside.pgdump"
KEY_NAME = "kek.key"
_DATABASE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class BackupError(InvalidInput):
    """A backup or restore that cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    """What a backup wrote."""

    database_file: Path
    key_file: Path
    kind: str


@dataclass(frozen=True)
class RestoreResult:
    """What a restore made."""

    database: str
    key_file: Path
    kind: str


def _kind(url: URL) -> str:
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {backend}.")
    return backend


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("This SQLite database lives in memory; there is nothing to back up.")
    return Path(url.database)


def _new_directory(path: Path) -> Path:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BackupError(f"{path} exists and is not empty; choose a new directory.")
    return private_dir(path)


def _check_key(source: Path, target: Path) -> bool:
    """Whether ``target`` already holds this key file; refuses a missing or different one."""
    if not source.is_file():
        raise BackupError(f"No key file at {source}; without it the database cannot be read.")
    if target.exists():
        if target.read_bytes() == source.read_bytes():
            return True
        raise BackupError(
            f"A different key file is already at {target}; restore into a new data directory "
            "(or move that key file away first)."
        )
    return False


def _copy_key(source: Path, target: Path) -> Path:
    if _check_key(source, target):
        return target
    private_dir(target.parent, own=False)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(source.read_bytes())
        handle.flush()
        os.fsync(handle.fileno())
    tighten(target)
    return target


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL without its password, and the environment that carries the password
    (never on a command line that ``ps`` shows)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(arguments: list[str], env: dict[str, str], what: str) -> None:
    if shutil.which(arguments[0]) is None:
        raise BackupError(f"{arguments[0]} is not installed; install the PostgreSQL client tools.")
    done = subprocess.run(arguments, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1:] or ["no message"]
        raise BackupError(f"{what} failed: {detail[0]}")


def _check_sqlite(path: Path) -> None:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if connection.execute("PRAGMA integrity_check").fetchone() != ("ok",):
            raise BackupError(f"{path} failed SQLite's integrity check.")
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database ({exc}).") from None
    finally:
        connection.close()
    if "alembic_version" not in tables:
        raise BackupError(
            f"{path} holds no Alongside tables. Is this the right database? (The demo keeps "
            "its own, demo.sqlite3: pass --database-url sqlite:///<data dir>/demo.sqlite3.)"
        )


def _sqlite_copy(source: Path, target: Path) -> None:
    # The online backup API copies a consistent snapshot while other connections write.
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    writer = sqlite3.connect(target)
    try:
        reader.backup(writer)
    finally:
        writer.close()
        reader.close()
    tighten(target)


def backup(settings: Settings, destination: Path, keys_to: Path) -> BackupResult:
    """Back the database up into the new directory ``destination`` and the key file into
    ``keys_to`` (keep them apart)."""
    url = make_url(settings.effective_database_url)
    kind = _kind(url)
    if destination.resolve() == keys_to.resolve():
        raise BackupError("Keep the key file apart from the database backup: use two places.")
    if kind == "sqlite":
        source = _sqlite_path(url)
        if not source.is_file():
            raise BackupError(f"There is no database at {source}; check --data-dir.")
        _check_sqlite(source)
    # Refused before anything is written: a half-made backup would block the next attempt.
    _check_key(settings.effective_key_file, keys_to / KEY_NAME)
    directory = _new_directory(destination)
    if kind == "sqlite":
        written = directory / SQLITE_NAME
        _sqlite_copy(source, written)
        _check_sqlite(written)
    else:
        written = directory / PG_NAME
        address, env = _libpq(url)
        try:
            _run(
                ["pg_dump", "--format=custom", "--no-owner", f"--file={written}", address],
                env,
                "pg_dump",
            )
        except BackupError:
            # A failed dump leaves a partial file: removed, so the directory can be used again.
            written.unlink(missing_ok=True)
            raise
        tighten(written)
    manifest = directory / MANIFEST
    manifest.write_text(
        json.dumps(
            {
                "kind": kind,
                "file": written.name,
                "alongside": __version__,
                "made_at": datetime.now(UTC).isoformat(),
            },
            indent=2,
        )
    )
    tighten(manifest)
    key = _copy_key(settings.effective_key_file, private_dir(keys_to, own=False) / KEY_NAME)
    return BackupResult(database_file=written, key_file=key, kind=kind)


def _read_manifest(source: Path) -> dict[str, str]:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{source} is not an Alongside backup (no {MANIFEST}).") from None
    if not isinstance(manifest, dict) or manifest.get("kind") not in ("sqlite", "postgresql"):
        raise BackupError(f"{source}/{MANIFEST} is not an Alongside backup manifest.")
    return {str(k): str(v) for k, v in manifest.items()}


def _create_database(url: URL) -> None:
    name = url.database or ""
    if not _DATABASE_NAME.match(name):
        raise BackupError(
            "Restore into a database named with letters, digits and _ (e.g. alongside_restored)."
        )
    server = create_engine(
        url.set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    try:
        try:
            connection = server.connect()
        except OperationalError as exc:
            raise BackupError(
                f"Cannot reach the PostgreSQL server to create {name}: {str(exc.orig).strip()}"
            ) from None
        with connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
            if exists:
                raise BackupError(
                    f"The database {name} already exists; restore into a new one (set "
                    "ALONGSIDE_DATABASE_URL to a new name) or drop it first."
                )
            # The name was checked against a strict pattern above, so quoting it is enough.
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        server.dispose()


def restore(settings: Settings, source: Path, keys_from: Path) -> RestoreResult:
    """Restore a backup into the (new) database ``settings`` names, and its key file."""
    manifest = _read_manifest(source)
    url = make_url(settings.effective_database_url)
    kind = _kind(url)
    if manifest["kind"] != kind:
        raise BackupError(
            f"This is a {manifest['kind']} backup; ALONGSIDE_DATABASE_URL names a {kind} database."
        )
    backup_file = source / manifest["file"]
    if not backup_file.is_file():
        raise BackupError(f"The backup file {backup_file} is missing.")
    key_source = keys_from / KEY_NAME if keys_from.is_dir() else keys_from
    if not key_source.is_file():
        raise BackupError(f"No key file at {key_source}; without it the backup is unreadable.")
    if kind == "sqlite":
        target = _sqlite_path(url)
        if target.exists():
            raise BackupError(f"A database is already at {target}; restore into a new place.")
        _check_sqlite(backup_file)
        private_dir(settings.data_dir)
        private_dir(target.parent, own=False)
        _sqlite_copy(backup_file, target)
        database = str(target)
    else:
        _create_database(url)
        address, env = _libpq(url)
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                f"--dbname={address}",
                str(backup_file),
            ],
            env,
            "pg_restore",
        )
        database = str(url.database)
    key = _copy_key(key_source, settings.effective_key_file)
    return RestoreResult(database=database, key_file=key, kind=kind)
