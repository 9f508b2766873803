"""`alongside backup` and `alongside restore` round trip, on the run's database kind, and files
that only their owner can read whatever the umask.

Regressions: the documented SQLite command, run on a demo data directory, exited 0 and wrote an
empty 4 KB file; ``pg_restore`` failed unless the database had been created by hand first;
database files were created 0644 and the data directory 0755.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from alongside.cli import app
from alongside.config import Mode, Settings
from alongside.db import build_engine, key_provider_for, make_sessionmaker, session_scope
from alongside.migrate import upgrade
from alongside.models import Client
from tests.fixtures.db import fresh_database_url, is_postgres
from tests.fixtures.factories import create_client, create_organization

runner = CliRunner()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _settings(data_dir: Path, url: str) -> Settings:
    return Settings(mode=Mode.DEVELOPMENT, data_dir=data_dir, database_url=url)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The common default umask (files 0644, directories 0755) for the test's duration."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _target_url(source_url: str, data_dir: Path) -> Iterator[str]:
    if not source_url.startswith("postgresql"):
        yield f"sqlite:///{data_dir / 'alongside.sqlite3'}"
        return
    server = make_url(source_url)
    name = f"alongside_restored_{uuid.uuid4().hex[:10]}"
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def test_backup_and_restore_into_a_new_place_reads_decrypted_data(
    tmp_path: Path, loose_umask: None
) -> None:
    for source_url in fresh_database_url(tmp_path, "backup_source"):
        source = _settings(tmp_path / "source", source_url)
        upgrade(source_url)
        engine = build_engine(source_url)
        with session_scope(make_sessionmaker(engine, key_provider_for(source))) as session:
            org = create_organization(session)
            client_id = create_client(session, org, given_name="Wren", family_name="Okafor").id
        engine.dispose()

        destination, keys = tmp_path / "backups" / "today", tmp_path / "offline-keys"
        made = runner.invoke(
            app,
            [
                "backup",
                str(destination),
                "--keys-to",
                str(keys),
                "--data-dir",
                str(source.data_dir),
                "--database-url",
                source_url,
            ],
        )
        assert made.exit_code == 0, made.output
        assert _mode(destination) == 0o700
        for written in destination.iterdir():
            assert _mode(written) == 0o600, written
        assert _mode(keys / "kek.key") == 0o600
        # Backing up into the same, now non-empty, place is refused rather than mixed.
        again = runner.invoke(
            app,
            [
                *("backup", str(destination), "--keys-to", str(keys)),
                *("--data-dir", str(source.data_dir), "--database-url", source_url),
            ],
        )
        assert again.exit_code == 2
        assert f"{destination} exists and is not empty; choose a new directory." in again.stderr

        restored_dir = tmp_path / "restored"
        for target_url in _target_url(source_url, restored_dir):
            back = runner.invoke(
                app,
                [
                    "restore",
                    str(destination),
                    "--keys-from",
                    str(keys),
                    "--data-dir",
                    str(restored_dir),
                    "--database-url",
                    target_url,
                ],
            )
            assert back.exit_code == 0, back.output
            target = _settings(restored_dir, target_url)
            engine = build_engine(target_url)
            with session_scope(make_sessionmaker(engine, key_provider_for(target))) as session:
                client = session.scalar(select(Client).where(Client.id == client_id))
                assert client is not None
                assert (client.given_name, client.family_name) == ("Wren", "Okafor")
            engine.dispose()
            assert _mode(target.effective_key_file) == 0o600
            # A second restore onto the same database is refused, not merged.
            twice = runner.invoke(
                app,
                [
                    "restore",
                    str(destination),
                    "--keys-from",
                    str(keys),
                    "--data-dir",
                    str(restored_dir),
                    "--database-url",
                    target_url,
                ],
            )
            assert twice.exit_code == 2
            assert "already" in twice.output


def test_backup_of_a_database_that_is_not_there_is_refused(tmp_path: Path) -> None:
    """The old hand command wrote an empty 4 KB file for a demo data directory."""
    demo_dir = tmp_path / "demo-data"
    made = runner.invoke(
        app,
        [
            "backup",
            str(tmp_path / "b"),
            "--keys-to",
            str(tmp_path / "k"),
            "--data-dir",
            str(demo_dir),
        ],
    )
    assert made.exit_code == 2
    assert "no database" in made.output.lower()
    assert not (tmp_path / "b").exists()


def test_database_and_data_directory_are_private_whatever_the_umask(
    tmp_path: Path, loose_umask: None
) -> None:
    if is_postgres():
        pytest.skip("file modes concern the embedded SQLite database")
    data_dir = tmp_path / "data"
    url = f"sqlite:///{data_dir / 'alongside.sqlite3'}"
    upgrade(url)
    engine = build_engine(url)
    with engine.begin() as conn:  # a write leaves the -wal and -shm files behind
        conn.execute(text("CREATE TABLE scratch (x INTEGER)"))
        conn.execute(text("INSERT INTO scratch VALUES (1)"))
        files = [data_dir / f"alongside.sqlite3{s}" for s in ("", "-wal", "-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
    engine.dispose()
    assert _mode(data_dir) == 0o700
    settings = _settings(data_dir, url)
    assert key_provider_for(settings).key_id  # creates the key file
    assert _mode(settings.effective_key_file) == 0o600
    assert _mode(settings.effective_key_file.parent) == 0o700
    # Files an older version left open are tightened on the next start.
    loose = tmp_path / "old" / "alongside.sqlite3"
    loose.parent.mkdir()
    loose.touch(mode=0o644)
    build_engine(f"sqlite:///{loose}").dispose()
    assert _mode(loose) == 0o600


# ---------------------------------------------------------------------------------------------
# Refusals: exit 2, a message saying what to do, and nothing written or changed.


def _sqlite_source(data_dir: Path) -> tuple[str, Path]:
    """A migrated SQLite database with one client, and its key file (made on first use)."""
    url = f"sqlite:///{data_dir / 'alongside.sqlite3'}"
    upgrade(url)
    settings = _settings(data_dir, url)
    engine = build_engine(url)
    with session_scope(make_sessionmaker(engine, key_provider_for(settings))) as session:
        create_client(session, create_organization(session), given_name="Wren")
    engine.dispose()
    return url, settings.effective_key_file


def _backup(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["backup", *args])
    return result.exit_code, result.stderr


def _restore(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["restore", *args])
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://user@127.0.0.1/clinic", "Backups support SQLite and PostgreSQL, not mysql."),
        ("sqlite://", "This SQLite database lives in memory; there is nothing to back up."),
    ],
)
def test_backup_refuses_a_database_it_cannot_copy(tmp_path: Path, url: str, message: str) -> None:
    code, err = _backup(
        str(tmp_path / "b"), "--keys-to", str(tmp_path / "k"), "--database-url", url
    )
    assert code == 2
    assert f"error: {message}" in err
    assert not (tmp_path / "b").exists()
    assert not (tmp_path / "k").exists()


def test_backup_refuses_to_keep_the_key_with_the_database(tmp_path: Path) -> None:
    url, _key = _sqlite_source(tmp_path / "data")
    same = tmp_path / "backup"
    code, err = _backup(str(same), "--keys-to", str(same), "--database-url", url)
    assert code == 2
    assert "Keep the key file apart from the database backup: use two places." in err
    assert not same.exists()


def test_backup_refuses_a_file_that_is_not_an_alongside_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"these are notes, not a database " * 256)
    other = tmp_path / "other.sqlite3"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE notes (x TEXT)")
    connection.commit()
    connection.close()
    for source, message in (
        (junk, f"{junk} is not a readable SQLite database (file is not a database)."),
        (other, f"{other} holds no Alongside tables. Is this the right database?"),
    ):
        before = source.read_bytes()
        target = tmp_path / f"backup-of-{source.stem}"
        code, err = _backup(
            str(target), "--keys-to", str(tmp_path / "k"), "--database-url", f"sqlite:///{source}"
        )
        assert code == 2, err
        assert f"error: {message}" in err
        assert "Traceback" not in err
        assert not target.exists()
        assert source.read_bytes() == before


def test_backup_refuses_a_corrupt_database(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE alembic_version (version_num TEXT)")
    connection.execute("CREATE TABLE t (x TEXT)")
    connection.execute("CREATE INDEX t_x ON t (x)")
    connection.executemany("INSERT INTO t VALUES (?)", [(f"row {i:05}",) for i in range(2000)])
    connection.commit()
    index_root = connection.execute(
        "SELECT rootpage FROM sqlite_master WHERE name='t_x'"
    ).fetchone()
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    # Rewrite some index keys inside the index's root page: readable, but out of order.
    data = bytearray(path.read_bytes())
    start = (index_root[0] - 1) * page_size
    page = data[start : start + page_size]
    page = page.replace(b"row 00", b"row 99", 1)
    data[start : start + page_size] = page
    path.write_bytes(bytes(data))
    code, err = _backup(
        str(tmp_path / "b"), "--keys-to", str(tmp_path / "k"), "--database-url", f"sqlite:///{path}"
    )
    assert code == 2, err
    assert f"error: {path} failed SQLite's integrity check." in err
    assert not (tmp_path / "b").exists()


def test_backup_checks_the_key_file_before_writing_anything(tmp_path: Path) -> None:
    url, key = _sqlite_source(tmp_path / "data")
    destination, keys = tmp_path / "backup", tmp_path / "keys"
    # No key file where the settings expect it: refused before a half backup is left behind.
    code, err = _backup(
        str(destination),
        "--keys-to",
        str(keys),
        "--database-url",
        url,
        "--data-dir",
        str(tmp_path / "elsewhere"),
    )
    assert code == 2
    assert f"No key file at {tmp_path / 'elsewhere' / 'keys' / 'kek.key'}" in err
    assert not destination.exists()
    # A different key file already where the copy would go: refused, that key file untouched.
    keys.mkdir()
    (keys / "kek.key").write_bytes(b"another clinic's key")
    code, err = _backup(
        str(destination),
        "--keys-to",
        str(keys),
        "--database-url",
        url,
        "--data-dir",
        str(tmp_path / "data"),
    )
    assert code == 2
    assert f"A different key file is already at {keys / 'kek.key'}" in err
    assert (keys / "kek.key").read_bytes() == b"another clinic's key"
    assert not destination.exists()
    # The same key file there already (yesterday's backup): accepted and left as it is.
    (keys / "kek.key").write_bytes(key.read_bytes())
    result = runner.invoke(
        app,
        [
            "backup",
            str(destination),
            "--keys-to",
            str(keys),
            "--database-url",
            url,
            "--data-dir",
            str(tmp_path / "data"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"Database (sqlite) backed up to {destination / 'alongside.sqlite3'}." in result.stdout
    assert f"Key file copied to {keys / 'kek.key'}: store it apart" in result.stdout
    assert (keys / "kek.key").read_bytes() == key.read_bytes()
    assert {"alongside.sqlite3", "manifest.json"} <= {p.name for p in destination.iterdir()}


def test_restore_refuses_what_is_not_a_usable_backup(tmp_path: Path) -> None:
    url, key = _sqlite_source(tmp_path / "data")
    good = tmp_path / "good"
    code, err = _backup(
        str(good),
        "--keys-to",
        str(tmp_path / "keys"),
        "--database-url",
        url,
        "--data-dir",
        str(tmp_path / "data"),
    )
    assert code == 0, err
    target_dir = tmp_path / "restored"
    target_url = f"sqlite:///{target_dir / 'alongside.sqlite3'}"

    empty = tmp_path / "empty"
    empty.mkdir()
    bad_manifest = tmp_path / "bad-manifest"
    bad_manifest.mkdir()
    (bad_manifest / "manifest.json").write_text('{"kind": "mysql", "file": "x"}')
    no_file = tmp_path / "no-file"
    no_file.mkdir()
    (no_file / "manifest.json").write_text('{"kind": "sqlite", "file": "alongside.sqlite3"}')
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "manifest.json").write_text('{"kind": "sqlite", "file": "alongside.sqlite3"}')
    connection = sqlite3.connect(foreign / "alongside.sqlite3")
    connection.execute("CREATE TABLE notes (x TEXT)")
    connection.commit()
    connection.close()
    cases = [
        (empty, key, target_url, f"{empty} is not an Alongside backup (no manifest.json)."),
        (bad_manifest, key, target_url, "manifest.json is not an Alongside backup manifest."),
        (
            good,
            key,
            "postgresql://postgres@127.0.0.1:5432/alongside_restored",
            "This is a sqlite backup; ALONGSIDE_DATABASE_URL names a postgresql database.",
        ),
        (no_file, key, target_url, f"The backup file {no_file / 'alongside.sqlite3'} is missing."),
        (
            good,
            tmp_path / "nowhere",
            target_url,
            f"No key file at {tmp_path / 'nowhere'}; without it the backup is unreadable.",
        ),
        (foreign, key, target_url, "holds no Alongside tables"),
    ]
    for source, keys_from, url_to, message in cases:
        code, err = _restore(
            str(source),
            "--keys-from",
            str(keys_from),
            "--data-dir",
            str(target_dir),
            "--database-url",
            url_to,
        )
        assert code == 2, (source, err)
        assert message in err, (source, err)
        assert not target_dir.exists(), source


def test_restore_refuses_a_different_key_file_already_in_the_data_directory(
    tmp_path: Path,
) -> None:
    url, _key = _sqlite_source(tmp_path / "data")
    backup_dir, keys = tmp_path / "backup", tmp_path / "keys"
    code, err = _backup(
        str(backup_dir),
        "--keys-to",
        str(keys),
        "--database-url",
        url,
        "--data-dir",
        str(tmp_path / "data"),
    )
    assert code == 0, err
    target_dir = tmp_path / "restored"
    (target_dir / "keys").mkdir(parents=True)
    (target_dir / "keys" / "kek.key").write_bytes(b"another clinic's key")
    target_url = f"sqlite:///{tmp_path / 'restored-db' / 'alongside.sqlite3'}"
    # --keys-from names the key file itself here (the round trip names its directory).
    code, err = _restore(
        str(backup_dir),
        "--keys-from",
        str(keys / "kek.key"),
        "--data-dir",
        str(target_dir),
        "--database-url",
        target_url,
    )
    assert code == 2
    assert f"A different key file is already at {target_dir / 'keys' / 'kek.key'}" in err
    assert (target_dir / "keys" / "kek.key").read_bytes() == b"another clinic's key"


def test_postgres_backups_name_a_missing_tool_and_a_failed_dump(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_dir = tmp_path / "data"
    assert key_provider_for(_settings(key_dir, "sqlite://")).key_id  # the key file
    unreachable = "postgresql://clinic:s3cret-pass@127.0.0.1:1/alongside"
    args = ["--keys-to", str(tmp_path / "keys"), "--data-dir", str(key_dir)]
    if shutil.which("pg_dump") is not None:
        code, err = _backup(str(tmp_path / "b1"), *args, "--database-url", unreachable)
        assert code == 2
        assert err.startswith("error: pg_dump failed: ")
        assert "s3cret-pass" not in err  # the password travels in the environment only
        assert list((tmp_path / "b1").iterdir()) == []
        assert not (tmp_path / "keys").exists()
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    code, err = _backup(str(tmp_path / "b2"), *args, "--database-url", unreachable)
    assert code == 2
    assert "pg_dump is not installed; install the PostgreSQL client tools." in err
    assert not (tmp_path / "keys").exists()


def test_postgres_restore_refuses_a_bad_name_and_an_unreachable_server(tmp_path: Path) -> None:
    source = tmp_path / "pg-backup"
    source.mkdir()
    (source / "manifest.json").write_text('{"kind": "postgresql", "file": "alongside.pgdump"}')
    (source / "alongside.pgdump").write_bytes(b"PGDMP")
    key = tmp_path / "kek.key"
    key.write_bytes(b"k" * 44)
    target_dir = tmp_path / "restored"
    for url, message in (
        (
            'postgresql://postgres@127.0.0.1:1/alongside"; DROP DATABASE x; --',
            "Restore into a database named with letters, digits and _ (e.g. alongside_restored).",
        ),
        (
            "postgresql://postgres@127.0.0.1:1/alongside_restored",
            "Cannot reach the PostgreSQL server to create alongside_restored: ",
        ),
    ):
        code, err = _restore(
            str(source),
            "--keys-from",
            str(key),
            "--data-dir",
            str(target_dir),
            "--database-url",
            url,
        )
        assert code == 2, err
        assert f"error: {message}" in err
        assert "Traceback" not in err
        assert not (target_dir / "keys").exists()
