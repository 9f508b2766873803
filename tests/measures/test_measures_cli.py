"""``alongside measures due`` through the root command."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from alongside.cli import app
from alongside.crypto.keys import FileKeyProvider
from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.kit.time import utcnow
from alongside.measures.service import REMINDER_KIND, set_plan
from alongside.migrate import upgrade
from alongside.models import Intake, MeasurementPlan, OutboxMessage, Role
from alongside.security.access import actor_for
from tests.fixtures.db import fresh_database_url
from tests.fixtures.factories import create_client, create_organization, create_staff

runner = CliRunner()


def test_due_needs_a_migrated_database(tmp_path: Path) -> None:
    result = runner.invoke(app, ["measures", "due", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "alongside db upgrade" in result.stderr
    assert result.stdout == ""


def test_due_on_an_empty_clinic_creates_nothing(tmp_path: Path) -> None:
    upgraded = runner.invoke(app, ["db", "upgrade", "--data-dir", str(tmp_path)])
    assert upgraded.exit_code == 0, upgraded.output
    result = runner.invoke(app, ["measures", "due", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Created 0 link(s); 0 emailed; 0 skipped."
    again = runner.invoke(app, ["measures", "due", "--data-dir", str(tmp_path)])
    assert again.stdout == result.stdout


PUBLIC_URL = "https://clinic.example.org"


@dataclass
class Plans:
    """A committed clinic with two repeat-measure plans due now."""

    factory: sessionmaker[Session]
    sent_plan: uuid.UUID
    skipped_plan: uuid.UUID
    client_email: str


@pytest.fixture
def plans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Plans]:
    """Two clients whose two-weekly plans were set 15 days ago; the second client's only
    clinician has since left (so there is no one to review the answers)."""
    for url in fresh_database_url(tmp_path, "measures_cli"):
        upgrade(url)
        key_file = tmp_path / "kek.key"
        monkeypatch.setenv("ALONGSIDE_DATABASE_URL", url)
        monkeypatch.setenv("ALONGSIDE_KEY_FILE", str(key_file))
        monkeypatch.setenv("ALONGSIDE_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("ALONGSIDE_PUBLIC_URL", PUBLIC_URL)
        engine = build_engine(url)
        factory = make_sessionmaker(engine, FileKeyProvider(key_file))
        then = utcnow() - timedelta(days=15)
        with session_scope(factory) as db:
            org = create_organization(db)
            ids = []
            for n in (1, 2):
                clinician = create_staff(db, org, Role.CLINICIAN)
                client = create_client(db, org, clinicians=(clinician,), email=f"c{n}@example.org")
                plan = set_plan(
                    db,
                    user=clinician,
                    actor=actor_for(db, clinician, then),
                    client_id=client.id,
                    instruments=["phq9", "gad7"],
                    cadence="interval",
                    interval_days=14,
                    now=then,
                )
                ids.append(plan.id)
            clinician.is_active = False
        try:
            yield Plans(factory, ids[0], ids[1], "c1@example.org")
        finally:
            engine.dispose()


def _reminders(factory: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    with session_scope(factory) as db:
        rows = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == REMINDER_KIND))
        return [(m.recipient, m.body, m.payload["plan_id"]) for m in rows]


def test_due_creates_and_emails_links_and_names_the_plans_it_skipped(plans: Plans) -> None:
    result = runner.invoke(app, ["measures", "due"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Created 1 link(s); 1 emailed; 1 skipped.",
        f"  skipped plan {plans.skipped_plan}: "
        "no active clinician on the care team to review the answers",
    ]
    assert "/intake/" not in result.stdout  # the link is the client's credential
    ((recipient, body, plan_id),) = _reminders(plans.factory)
    assert (recipient, plan_id) == (plans.client_email, str(plans.sent_plan))
    # The link in the client's email starts with the clinic's public address.
    assert f"{PUBLIC_URL}/intake/" in body
    assert "127.0.0.1" not in body
    with session_scope(plans.factory) as db:
        sent = db.get_one(MeasurementPlan, plans.sent_plan)
        skipped = db.get_one(MeasurementPlan, plans.skipped_plan)
        assert sent.last_intake_id is not None
        assert db.get_one(Intake, sent.last_intake_id).instruments == ["phq9", "gad7"]
        assert skipped.last_due_at is None  # not claimed: sent once someone can review it

    # Again: nothing twice; the skipped plan is still waiting for a reviewer.
    again = runner.invoke(app, ["measures", "due"])
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[0] == "Created 0 link(s); 0 emailed; 1 skipped."
    assert len(_reminders(plans.factory)) == 1


def test_due_refuses_invalid_settings_and_creates_nothing(
    plans: Plans, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALONGSIDE_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("ALONGSIDE_SMTP_TIMEOUT_SECONDS", "-1")
    result = runner.invoke(app, ["measures", "due"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "smtp_timeout_seconds" in result.stderr
    assert result.stdout == ""
    assert _reminders(plans.factory) == []
    with session_scope(plans.factory) as db:
        assert db.scalar(select(func.count()).select_from(Intake)) == 0
