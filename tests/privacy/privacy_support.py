"""Helpers for privacy tests: a client with a full record (submitted intake, appointment,
queued message) built through the same services the app uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from alongside.intake import service as intake_service
from alongside.kit.time import utcnow
from alongside.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Client,
    OutboxChannel,
    OutboxMessage,
    OutboxStatus,
    User,
)
from alongside.triage.service import SubmitOutcome
from tests.intake.conftest import CALM, answer_instrument

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def submitted_intake(
    db: Session,
    clinician: User,
    client: Client,
    *,
    words: str,
    reading: bool = True,
    now: datetime = NOW,
    withdraw_before_submit: object = None,
) -> SubmitOutcome:
    """An intake link for the client, consented, answered (calm), words written, submitted."""
    created = intake_service.create_intake(db, actor=clinician, client_id=client.id, now=now)
    intake = created.intake
    intake_service.record_consent(
        db, intake, processing=True, software_reading="yes" if reading else "no", now=now
    )
    for instrument_id in intake.instruments:
        answer_instrument(db, intake, instrument_id, CALM[instrument_id])
    intake_service.save_own_words(db, intake, words, now)
    if callable(withdraw_before_submit):
        withdraw_before_submit()
    return intake_service.submit_intake(
        db,
        intake,
        now=now + timedelta(minutes=5),
        case_url_base="http://127.0.0.1",
        oncall_webhook=False,
    )


def appointment(db: Session, clinician: User, client: Client, *, reason: str) -> Appointment:
    """A booked appointment a week from now, with an encrypted reason."""
    start = utcnow().replace(microsecond=0) + timedelta(days=7)
    row = Appointment(
        organization_id=client.organization_id,
        client_id=client.id,
        clinician_id=clinician.id,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        status=AppointmentStatus.BOOKED,
        kind=AppointmentKind.THERAPY,
        setting="in_person",
    )
    row.reason = reason
    db.add(row)
    db.flush()
    return row


def queued_reminder(db: Session, client: Client, *, body: str) -> OutboxMessage:
    """A reminder to the client waiting in the outbox (encrypted with their key)."""
    message = OutboxMessage(
        organization_id=client.organization_id,
        client_id=client.id,
        kind="reminder",
        channel=OutboxChannel.EMAIL,
        idempotency_key=f"reminder-{client.id}",
        status=OutboxStatus.PENDING,
        next_attempt_at=NOW,
    )
    message.recipient = str(client.email)
    message.subject = "Your appointment"
    message.body = body
    message.payload = {}
    db.add(message)
    db.flush()
    return message
