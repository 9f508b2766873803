"""Messages to a client are encrypted with that client's key; alerts to staff stay readable
without one; erasing the client makes their queued messages unreadable."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from alongside.kit.time import utcnow
from alongside.models import OutboxMessage
from alongside.models.encrypted import ERASED
from alongside.notify import service
from alongside.privacy.erasure import crypto_shred_client
from tests.fixtures.db import is_postgres
from tests.fixtures.factories import World

EMAIL = "reminder.canary@example.org"


def _raw(db: Session, message: OutboxMessage) -> bytes:
    row = db.execute(
        text("SELECT recipient, subject, body, payload FROM outbox_messages WHERE id = :id"),
        {"id": message.id if is_postgres() else message.id.hex},
    ).one()
    return b"".join(bytes(value) for value in row)


def test_a_reminder_to_a_client_is_ciphertext_in_the_row(db: Session, world: World) -> None:
    message = service.enqueue(
        db,
        kind="appointment_reminder",
        channel="email",
        recipient=EMAIL,
        subject="Appointment reminder",
        body="Your appointment is on Monday at 10:00.",
        payload={"to": "+1-555-0199-1234"},
        idempotency_key="rem-1",
        organization_id=world.org.id,
        client_id=world.own_client.id,
        now=utcnow(),
    )
    db.flush()
    raw = _raw(db, message)
    assert EMAIL.encode() not in raw
    assert b"Monday" not in raw
    assert b"0199-1234" not in raw
    db.expire_all()
    loaded = db.get(OutboxMessage, message.id)
    assert loaded is not None
    assert loaded.recipient == EMAIL
    assert loaded.payload == {"to": "+1-555-0199-1234"}


def test_an_alert_to_staff_needs_no_client_key(db: Session, world: World) -> None:
    message = service.enqueue(
        db,
        kind="crisis_alert",
        channel="email",
        recipient="oncall@clinic.test",
        subject="Crisis alert",
        body="Open the case: https://clinic.test/review/intakes/1",
        payload={"case_url": "https://clinic.test/review/intakes/1"},
        idempotency_key="al-1",
        organization_id=world.org.id,
        now=utcnow(),
    )
    db.flush()
    db.expire_all()
    loaded = db.get(OutboxMessage, message.id)
    assert loaded is not None
    assert loaded.recipient == "oncall@clinic.test"
    assert loaded.payload["case_url"].endswith("/1")


def test_erasing_the_client_makes_their_queued_messages_unreadable(
    db: Session, world: World
) -> None:
    message = service.enqueue(
        db,
        kind="measures_due",
        channel="email",
        recipient=EMAIL,
        subject="Questionnaires",
        body="Your link",
        payload={},
        idempotency_key="m-1",
        organization_id=world.org.id,
        client_id=world.own_client.id,
        now=utcnow(),
    )
    db.flush()
    crypto_shred_client(db, world.own_client)
    db.expire_all()
    loaded = db.get(OutboxMessage, message.id)
    assert loaded is not None
    assert loaded.recipient == ERASED
