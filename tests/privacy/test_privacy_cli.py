"""``alongside clients erase ID --reason`` on a real, committed database (SQLite, or
PostgreSQL when ALONGSIDE_TEST_DATABASE_URL is set): the record becomes unreadable, another
client's stays readable, and ``alongside audit verify`` still exits 0."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from alongside.cli import app
from alongside.crypto.keys import FileKeyProvider
from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.migrate import upgrade
from alongside.models import AuditEvent, Client, Role, User
from alongside.models.encrypted import ERASED
from tests.fixtures.db import fresh_database_url
from tests.fixtures.factories import create_client, create_organization, create_staff
from tests.privacy.privacy_support import queued_reminder, submitted_intake
from tests.privacy.test_privacy_erasure import encrypted_values

runner = CliRunner()


@pytest.fixture
def committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[sessionmaker[Session], uuid.UUID, uuid.UUID]]:
    """A migrated database with two clients' full records, committed; the CLI reads it."""
    for url in fresh_database_url(tmp_path, "erase_cli"):
        upgrade(url)
        key_file = tmp_path / "kek.key"
        monkeypatch.setenv("ALONGSIDE_DATABASE_URL", url)
        monkeypatch.setenv("ALONGSIDE_KEY_FILE", str(key_file))
        monkeypatch.setenv("ALONGSIDE_DATA_DIR", str(tmp_path))
        engine = build_engine(url)
        factory = make_sessionmaker(engine, FileKeyProvider(key_file))
        with session_scope(factory) as db:
            org = create_organization(db, country="GB")
            clinician = create_staff(db, org, Role.CLINICIAN)
            erased = create_client(db, org, clinicians=(clinician,), given_name="Eraseme")
            kept = create_client(db, org, clinicians=(clinician,), given_name="Keepme")
            login = create_staff(db, org, Role.CLIENT)
            login.client_id = erased.id
            submitted_intake(db, clinician, erased, words="Canaryerased words")
            submitted_intake(db, clinician, kept, words="Canarykept words")
            queued_reminder(db, erased, body="Canaryerased reminder")
            ids = (erased.id, kept.id)
        try:
            yield factory, ids[0], ids[1]
        finally:
            engine.dispose()


def test_erase_command_shreds_one_client_and_the_chain_still_verifies(
    committed: tuple[sessionmaker[Session], uuid.UUID, uuid.UUID],
) -> None:
    factory, erased_id, kept_id = committed
    with session_scope(factory) as db:
        before = encrypted_values(db, erased_id)
        kept_before = encrypted_values(db, kept_id)
    assert "Canaryerased" in str(before)  # positive control: readable before
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output

    result = runner.invoke(
        app, ["clients", "erase", str(erased_id), "--reason", "Court order 12/2026", "--json"]
    )
    assert result.exit_code == 0, result.output
    certificate = json.loads(result.output)
    assert certificate["login_erased"] is True
    assert certificate["messages_cancelled"] == 1
    assert any("access log" in k["what"].lower() for k in certificate["kept"])
    # England's schedule: the mental-health record was still within its 20 years.
    assert any(r["years"] == 20 for r in certificate["retention_overridden"])

    with session_scope(factory) as db:
        after = encrypted_values(db, erased_id)
        assert after.keys() == before.keys()
        assert all(v == ERASED for vs in after.values() for v in vs)
        assert encrypted_values(db, kept_id) == kept_before
        assert db.scalar(select(User).where(User.client_id == erased_id)) is None
        assert db.get_one(Client, erased_id).status == "erased"
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "erase"))
        assert event is not None
        assert event.client_id == erased_id
        assert event.actor_role == "system"
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output

    again = runner.invoke(app, ["clients", "erase", str(erased_id), "--reason", "again"])
    assert again.exit_code == 2
    assert "already been erased" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not-a-uuid", "--reason", "x"], "not a record id"),
        ([str(uuid.UUID(int=7)), "--reason", "x"], "No client"),
        ([str(uuid.UUID(int=7))], "reason"),
    ],
)
def test_erase_command_refuses_bad_input_with_exit_2(
    committed: tuple[sessionmaker[Session], uuid.UUID, uuid.UUID], args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["clients", "erase", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_erase_command_prints_a_readable_certificate(
    committed: tuple[sessionmaker[Session], uuid.UUID, uuid.UUID], tmp_path: Path
) -> None:
    factory, erased_id, kept_id = committed
    with session_scope(factory) as db:
        kept_before = encrypted_values(db, kept_id)

    result = runner.invoke(
        app,
        [
            *("clients", "erase", str(erased_id), "--reason", "Court order 13/2026"),
            *("--data-dir", str(tmp_path)),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Erased record {erased_id} at ")
    erased_lines = [line for line in lines if line.startswith("  erased: ")]
    assert erased_lines, result.stdout
    assert all(line.rstrip().endswith(")") for line in erased_lines)
    assert "  messages not sent: 1" in lines
    assert "  login erased: yes" in lines
    kept = [line for line in lines if line.startswith("  kept: ")]
    assert len(kept) == 3
    assert kept[0].startswith("  kept: The access log: who opened the record, when and why: ")
    with session_scope(factory) as db:
        assert db.get_one(Client, erased_id).status == "erased"
        assert all(v == ERASED for vs in encrypted_values(db, erased_id).values() for v in vs)
        assert encrypted_values(db, kept_id) == kept_before

    # The other client, who never had a login: the certificate says so.
    other = runner.invoke(app, ["clients", "erase", str(kept_id), "--reason", "Court order 14"])
    assert other.exit_code == 0, other.output
    assert "  login erased: there was none" in other.stdout.splitlines()


def test_erase_command_refuses_invalid_settings_and_erases_nothing(
    committed: tuple[sessionmaker[Session], uuid.UUID, uuid.UUID],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    factory, erased_id, _kept_id = committed
    monkeypatch.setenv("ALONGSIDE_PORT", "not-a-port")
    result = runner.invoke(app, ["clients", "erase", str(erased_id), "--reason", "x"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "port" in result.stderr
    assert result.stdout == ""
    with session_scope(factory) as db:
        assert db.get_one(Client, erased_id).status != "erased"
        assert "Canaryerased" in str(encrypted_values(db, erased_id))


def test_erase_command_on_an_empty_data_directory_says_to_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALONGSIDE_DATABASE_URL", raising=False)
    monkeypatch.delenv("ALONGSIDE_KEY_FILE", raising=False)
    result = runner.invoke(
        app,
        ["clients", "erase", str(uuid.UUID(int=7)), "--reason", "x", "--data-dir", str(tmp_path)],
    )
    assert result.exit_code == 2
    assert "The database has no tables yet. Run `alongside db upgrade` first." in result.stderr
    assert not (tmp_path / "keys").exists()  # no key file made for a database that is not there
