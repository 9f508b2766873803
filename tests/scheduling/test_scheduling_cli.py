"""``alongside scheduling reminders`` and ``alongside scheduling rescreens`` on a real, committed
database (SQLite, or PostgreSQL when ALONGSIDE_TEST_DATABASE_URL is set): what they print, what
they store, and bad input refused with exit 2 and nothing changed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from alongside.accounts.service import user_by_email
from alongside.cli import app
from alongside.crypto.keys import FileKeyProvider
from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.kit.time import utcnow
from alongside.migrate import upgrade
from alongside.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ClientPreference,
    Intake,
    IntakeStatus,
    OutboxMessage,
    Role,
    Score,
    User,
    WaitlistEntry,
    WaitlistStatus,
)
from alongside.scheduling import waitlist
from tests.fixtures.db import fresh_database_url
from tests.fixtures.factories import create_client, create_organization, create_staff

runner = CliRunner()
PUBLIC_URL = "https://clinic.example.org"
SMS_HOOK = {"sms": {"url": "https://sms.example.org/hook", "secret": "s" * 24}}


@dataclass
class Committed:
    """A committed clinic: a coordinator, a clinician, a lead, and one client."""

    factory: sessionmaker[Session]
    org_id: uuid.UUID
    coordinator_email: str
    clinician_email: str
    lead_email: str
    clinician_id: uuid.UUID
    client_id: uuid.UUID
    client_email: str
    client_phone: str


@pytest.fixture
def committed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Committed]:
    """A migrated database the CLI reads through ALONGSIDE_* settings, with a small clinic."""
    for url in fresh_database_url(tmp_path, "scheduling_cli"):
        upgrade(url)
        key_file = tmp_path / "kek.key"
        monkeypatch.setenv("ALONGSIDE_DATABASE_URL", url)
        monkeypatch.setenv("ALONGSIDE_KEY_FILE", str(key_file))
        monkeypatch.setenv("ALONGSIDE_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("ALONGSIDE_PUBLIC_URL", PUBLIC_URL)
        monkeypatch.delenv("ALONGSIDE_WEBHOOKS", raising=False)
        engine = build_engine(url)
        factory = make_sessionmaker(engine, FileKeyProvider(key_file))
        with session_scope(factory) as db:
            org = create_organization(db)
            coordinator = create_staff(db, org, Role.COORDINATOR)
            clinician = create_staff(db, org, Role.CLINICIAN)
            lead = create_staff(db, org, Role.CLINICAL_LEAD)
            client = create_client(db, org, clinicians=(clinician,), phone="+15550100123")
            made = Committed(
                factory=factory,
                org_id=org.id,
                coordinator_email=coordinator.email,
                clinician_email=clinician.email,
                lead_email=lead.email,
                clinician_id=clinician.id,
                client_id=client.id,
                client_email=str(client.email),
                client_phone="+15550100123",
            )
        try:
            yield made
        finally:
            engine.dispose()


def _outbox(c: Committed, kind: str) -> list[OutboxMessage]:
    with session_scope(c.factory) as db:
        return list(
            db.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == kind)
                .order_by(OutboxMessage.idempotency_key)
            )
        )


# ---------------------------------------------------------------------------------------------
# reminders


def _appointment_tomorrow(c: Committed, *, email: bool, webhook: bool) -> uuid.UUID:
    """A booked appointment a day ahead (inside the 48-hour reminder) and the client's consent."""
    start = utcnow().replace(microsecond=0) + timedelta(hours=24)
    with session_scope(c.factory) as db:
        db.add(
            ClientPreference(
                client_id=c.client_id,
                organization_id=c.org_id,
                remind_email=email,
                remind_webhook=webhook,
            )
        )
        row = Appointment(
            organization_id=c.org_id,
            client_id=c.client_id,
            clinician_id=c.clinician_id,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            status=AppointmentStatus.BOOKED,
            kind=AppointmentKind.THERAPY,
            setting="in_person",
        )
        db.add(row)
        db.flush()
        return row.id


def test_reminders_enqueues_the_due_reminder_once(committed: Committed) -> None:
    appointment_id = _appointment_tomorrow(committed, email=True, webhook=False)

    first = runner.invoke(app, ["scheduling", "reminders"])
    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == "Enqueued 1 reminder(s)."
    sent = _outbox(committed, "appointment_reminder")
    assert [m.idempotency_key for m in sent] == [f"reminder:{appointment_id}:48h:email"]
    with session_scope(committed.factory) as db:
        message = db.get_one(OutboxMessage, sent[0].id)
        assert message.recipient == committed.client_email
        assert "therapy appointment" in message.body
        assert "in person" in message.body

    # Run again (cron every few minutes): nothing new, nothing twice.
    again = runner.invoke(app, ["scheduling", "reminders"])
    assert again.exit_code == 0, again.output
    assert again.stdout.strip() == "Enqueued 0 reminder(s)."
    assert len(_outbox(committed, "appointment_reminder")) == 1


def test_reminders_by_text_go_to_the_named_webhook(
    committed: Committed, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ALONGSIDE_WEBHOOKS", json.dumps(SMS_HOOK))
    appointment_id = _appointment_tomorrow(committed, email=True, webhook=True)

    # --data-dir given on the command line (the database URL still comes from the environment).
    result = runner.invoke(
        app, ["scheduling", "reminders", "--sms-webhook", "sms", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Enqueued 2 reminder(s)."
    sent = _outbox(committed, "appointment_reminder")
    assert [m.idempotency_key for m in sent] == [
        f"reminder:{appointment_id}:48h:email",
        f"reminder:{appointment_id}:48h:webhook",
    ]
    with session_scope(committed.factory) as db:
        text = db.get_one(OutboxMessage, sent[1].id)
        assert text.recipient == "sms"
        assert text.payload["to"] == committed.client_phone


def test_reminders_refuse_an_unknown_webhook_and_enqueue_nothing(
    committed: Committed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALONGSIDE_WEBHOOKS", json.dumps(SMS_HOOK))
    _appointment_tomorrow(committed, email=True, webhook=True)

    result = runner.invoke(app, ["scheduling", "reminders", "--sms-webhook", "text-gateway"])
    assert result.exit_code == 2
    assert "No webhook named 'text-gateway' is configured (ALONGSIDE_WEBHOOKS)." in result.stderr
    assert result.stdout == ""
    assert _outbox(committed, "appointment_reminder") == []


def test_reminders_refuse_invalid_settings_with_exit_2(
    committed: Committed, monkeypatch: pytest.MonkeyPatch
) -> None:
    _appointment_tomorrow(committed, email=True, webhook=False)
    monkeypatch.setenv("ALONGSIDE_PORT", "0")

    result = runner.invoke(app, ["scheduling", "reminders"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "port" in result.stderr
    assert "greater than or equal to 1" in result.stderr
    assert _outbox(committed, "appointment_reminder") == []


# ---------------------------------------------------------------------------------------------
# rescreens


def _waiting_since(c: Committed, days: int) -> uuid.UUID:
    """The client on the waitlist since ``days`` ago, with a PHQ-9 of 8 as the baseline."""
    since = utcnow() - timedelta(days=days)
    with session_scope(c.factory) as db:
        _phq9(db, c, 8, at=since - timedelta(days=1))
        decider = db.get_one(User, c.clinician_id)
        entry = waitlist.add_to_waitlist(
            db,
            client_id=c.client_id,
            urgency="routine",
            pathway="step2",
            decided_by=decider,
            now=since,
        )
        return entry.id


def _phq9(
    db: Session,
    c: Committed,
    total: int,
    *,
    at: datetime,
    intake_id: uuid.UUID | None = None,
) -> None:
    db.add(
        Score(
            organization_id=c.org_id,
            client_id=c.client_id,
            intake_id=intake_id,
            instrument_id="phq9",
            instrument_version="1.0.0",
            total=total,
            severity="mild",
            flags=[],
            result=json.dumps({"total": total}),
            scored_at=at,
        )
    )
    db.flush()


def _entry(c: Committed, entry_id: uuid.UUID) -> WaitlistEntry:
    with session_scope(c.factory) as db:
        return db.get_one(WaitlistEntry, entry_id)


def _intake_count(c: Committed) -> int:
    with session_scope(c.factory) as db:
        return int(db.scalar(select(func.count()).select_from(Intake)) or 0)


def test_rescreens_create_due_links_then_send_a_deterioration_back_to_triage(
    committed: Committed,
) -> None:
    entry_id = _waiting_since(committed, days=30)

    first = runner.invoke(app, ["scheduling", "rescreens", "--as", committed.coordinator_email])
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert lines[0] == "0 case(s) sent back to triage; 1 re-screen link(s):"
    entry = _entry(committed, entry_id)
    assert entry.rescreen_intake_id is not None
    assert entry.status is WaitlistStatus.WAITING
    with session_scope(committed.factory) as db:
        intake = db.get_one(Intake, entry.rescreen_intake_id)
        assert intake.client_id == committed.client_id
        assert intake.instruments == ["phq9", "gad7", "cssrs-screen"]
        assert intake.reviewer_id == committed.clinician_id
    entry_id_text, path = lines[1].split()
    assert lines[1].startswith("  ")
    assert entry_id_text == str(entry_id)
    assert path.startswith("/intake/")
    assert entry.next_rescreen_at > utcnow() + timedelta(days=27)

    # Not due again yet: no new link.
    quiet = runner.invoke(app, ["scheduling", "rescreens", "--as", committed.coordinator_email])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stdout.splitlines() == ["0 case(s) sent back to triage; 0 re-screen link(s):"]
    assert _intake_count(committed) == 1

    # The client answers: PHQ-9 from 8 to 17, a reliable deterioration.
    with session_scope(committed.factory) as db:
        intake = db.get_one(Intake, entry.rescreen_intake_id)
        intake.status = IntakeStatus.SUBMITTED
        _phq9(db, committed, 17, at=utcnow(), intake_id=intake.id)

    judged = runner.invoke(app, ["scheduling", "rescreens", "--as", committed.coordinator_email])
    assert judged.exit_code == 0, judged.output
    assert judged.stdout.splitlines() == ["1 case(s) sent back to triage; 0 re-screen link(s):"]
    with session_scope(committed.factory) as db:
        entry = db.get_one(WaitlistEntry, entry_id)
        assert entry.status is WaitlistStatus.BACK_TO_TRIAGE
        assert "reliable deterioration" in (entry.status_reason or "")
    alerts = _outbox(committed, "waitlist_back_to_triage")
    assert [a.recipient for a in alerts] == [committed.lead_email]
    # The lead's email links to the clinic's public address, as the worker's job does.
    assert f"Open: {PUBLIC_URL}/scheduling/waitlist#entry-{entry_id}" in alerts[0].body


@pytest.mark.parametrize("who", ["nobody@clinic.test", "disabled"])
def test_rescreens_refuse_an_unknown_or_disabled_user_and_change_nothing(
    committed: Committed, who: str
) -> None:
    entry_id = _waiting_since(committed, days=30)
    email = who
    if who == "disabled":
        email = committed.coordinator_email
        with session_scope(committed.factory) as db:
            user_by_email(db, email).is_active = False
    before = _entry(committed, entry_id)

    result = runner.invoke(app, ["scheduling", "rescreens", "--as", email])
    assert result.exit_code == 2
    assert f"error: No active user with the email {email}." in result.stderr
    assert result.stdout == ""
    after = _entry(committed, entry_id)
    assert after.rescreen_intake_id is None
    assert after.next_rescreen_at == before.next_rescreen_at
    assert _intake_count(committed) == 0


def test_rescreens_refuse_someone_who_may_not_manage_the_waitlist(committed: Committed) -> None:
    entry_id = _waiting_since(committed, days=30)

    # Email matched case-insensitively, as at sign-in; a clinician does not manage the list.
    result = runner.invoke(
        app, ["scheduling", "rescreens", "--as", committed.clinician_email.upper()]
    )
    assert result.exit_code == 2
    assert "error: There is nothing at this address." in result.stderr
    assert result.stdout == ""
    assert _entry(committed, entry_id).rescreen_intake_id is None
    assert _intake_count(committed) == 0


def test_rescreens_need_the_as_option() -> None:
    result = runner.invoke(app, ["scheduling", "rescreens"])
    assert result.exit_code == 2
    assert "--as" in result.output


def test_scheduling_without_a_command_shows_its_help() -> None:
    result = runner.invoke(app, ["scheduling"])
    assert "reminders" in result.output
    assert "rescreens" in result.output
