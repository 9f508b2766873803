"""Reminders: due at the organisation's offsets, only on consented channels, never twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_scheduling_service import MONDAY_NINE, NOW, actor, clinic

from alongside.models import OutboxMessage, Role
from alongside.scheduling import booking, reminders, service
from tests.fixtures.factories import World

START = datetime(2030, 1, 10, 9, 0, tzinfo=UTC)  # Thursday 09:00


@pytest.mark.parametrize(
    ("hours_before", "expected"),
    [(72, None), (48, 48), (47, 48), (2, 2), (1, 2), (0, None), (-1, None)],
)
def test_due_offset(hours_before: int, expected: int | None) -> None:
    now = START - timedelta(hours=hours_before)
    assert reminders.due_offset(START, now, (48, 2)) == expected


def _setup(db: Session, world: World, *, email: bool, webhook: bool) -> None:
    c = clinic(db, world)
    me = actor(db, c.coordinator)
    world.own_client.phone = "+1-555-0100-0000"
    service.save_preferences(
        db,
        user=c.coordinator,
        actor=me,
        client_id=c.client.id,
        now=NOW,
        remind_email=email,
        remind_webhook=webhook,
    )
    booking.book_appointment(
        db,
        user=c.coordinator,
        actor=me,
        client_id=c.client.id,
        clinician_id=c.clinician.id,
        starts_at=START,
        reason="Assessment",
        now=NOW,
    )


def _sent(db: Session) -> list[OutboxMessage]:
    return list(
        db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "appointment_reminder")
            .order_by(OutboxMessage.idempotency_key)
        )
    )


def test_reminders_at_each_offset_once_on_consented_channels(db: Session, world: World) -> None:
    _setup(db, world, email=True, webhook=True)
    assert reminders.send_due_reminders(db, now=START - timedelta(hours=49), sms_webhook="sms") == 0
    at_48 = START - timedelta(hours=47)
    assert reminders.send_due_reminders(db, now=at_48, sms_webhook="sms") == 2
    assert (
        reminders.send_due_reminders(db, now=at_48 + timedelta(minutes=5), sms_webhook="sms") == 0
    )
    assert reminders.send_due_reminders(db, now=START - timedelta(hours=1), sms_webhook="sms") == 2
    sent = _sent(db)
    assert {m.channel.value for m in sent} == {"email", "webhook"}
    assert sorted(m.idempotency_key.split(":")[2] for m in sent) == ["2h", "2h", "48h", "48h"]
    email = next(m for m in sent if m.channel.value == "email")
    assert email.recipient == world.own_client.email
    assert world.own_client.family_name not in email.body
    assert world.own_client.given_name not in email.body
    webhook = next(m for m in sent if m.channel.value == "webhook")
    assert webhook.recipient == "sms"
    assert webhook.payload["to"] == "+1-555-0100-0000"
    # After the start nothing more is sent.
    assert (
        reminders.send_due_reminders(db, now=START + timedelta(minutes=1), sms_webhook="sms") == 0
    )


def test_no_consent_no_reminder(db: Session, world: World) -> None:
    _setup(db, world, email=False, webhook=False)
    assert reminders.send_due_reminders(db, now=START - timedelta(hours=1), sms_webhook="sms") == 0
    assert _sent(db) == []


def test_webhook_consent_without_a_gateway_sends_nothing(db: Session, world: World) -> None:
    _setup(db, world, email=False, webhook=True)
    assert reminders.send_due_reminders(db, now=START - timedelta(hours=1)) == 0


def test_cancelled_appointments_are_not_reminded(db: Session, world: World) -> None:
    _setup(db, world, email=True, webhook=False)
    coordinator = world.users[Role.COORDINATOR]
    appointment = booking.upcoming_for_client(
        db, user=coordinator, actor=actor(db, coordinator), client_id=world.own_client.id, now=NOW
    ).items[0]
    booking.cancel_appointment(
        db,
        user=coordinator,
        actor=actor(db, coordinator),
        appointment_id=appointment.id,
        reason="Unwell",
        now=NOW,
    )
    assert reminders.send_due_reminders(db, now=START - timedelta(hours=1)) == 0
    assert MONDAY_NINE < START
