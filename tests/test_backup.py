"""`alongside backup` and `alongside restore` round trip, on the run's database kind, and files
that only their owner can read whatever the umask.

Regressions: the documented SQLite command, run on a demo data directory, exited 0 and wrote an
empty 4 KB file; ``pg_restore`` failed unless the database had been created by hand first;
database files were created 0644 and the data directory 0755.
"""

from __future__ import annotations

import os
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
            ["backup", str(destination), "--keys-to", str(keys), "--database-url", source_url],
        )
        assert again.exit_code == 2

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
