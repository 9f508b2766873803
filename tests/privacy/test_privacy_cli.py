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
