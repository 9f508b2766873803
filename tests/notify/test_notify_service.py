"""enqueue, dead letters and retry, inside the test's rolled-back transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.models import OutboxChannel, OutboxMessage, OutboxStatus
from alongside.notify import service
from tests.fixtures.factories import create_organization

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _enqueue(session: Session, **overrides: object) -> OutboxMessage:
    values: dict[str, object] = {
        "kind": "reminder",
        "channel": "email",
        "recipient": "client-contact@clinic.test",
        "subject": "Your appointment tomorrow",
        "body": "See you tomorrow at 10:00.",
        "payload": {"appointment_id": "a1"},
        "idempotency_key": f"reminder:{uuid.uuid4()}",
        "organization_id": None,
        "now": NOW,
    }
    values.update(overrides)
    return service.enqueue(session, **values)  # type: ignore[arg-type]


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def test_enqueue_stores_a_pending_message_due_now_without_committing(db: Session) -> None:
    org = create_organization(db)
    message = _enqueue(db, organization_id=org.id, idempotency_key="k1")
    assert message.status is OutboxStatus.PENDING
    assert message.channel is OutboxChannel.EMAIL
    assert message.attempts == 0
    assert message.next_attempt_at == NOW
    assert message.created_at == NOW
    assert message.payload == {"appointment_id": "a1"}
    assert message.organization_id == org.id
    # Flushed, so it is visible in this transaction (and only committed with it).
    assert db.get(OutboxMessage, message.id) is message
    assert not db.in_nested_transaction()


def test_enqueueing_the_same_key_twice_returns_the_first_message(db: Session) -> None:
    before = _count(db)
    first = _enqueue(db, idempotency_key="crisis:42:oncall", subject="First")
    second = _enqueue(db, idempotency_key="crisis:42:oncall", subject="Second")
    assert second.id == first.id
    assert second.subject == "First"
    assert _count(db) == before + 1


def test_a_system_message_has_no_organisation(db: Session) -> None:
    message = _enqueue(db, kind="backup_failed", recipient="ops@clinic.test")
    assert message.organization_id is None


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"channel": "pager"}, "channel: 'pager' is not one of email, webhook, sms"),
        ({"kind": ""}, "kind: must not be empty"),
        ({"recipient": "  "}, "recipient: must not be empty"),
        ({"recipient": "not-an-address"}, "an email message needs an email address"),
        ({"subject": "x" * 201}, "subject: at most 200 characters"),
        ({"idempotency_key": ""}, "idempotency_key: must not be empty"),
        ({"payload": {"when": datetime(2026, 1, 1, tzinfo=UTC)}}, "payload: must be JSON"),
        ({"now": datetime(2026, 1, 1)}, "now: pass a timezone-aware time"),  # noqa: DTZ001 - the point
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_field(
    db: Session, overrides: dict[str, object], fragment: str
) -> None:
    with pytest.raises(InvalidInput, match=fragment.replace("(", r"\(")):
        _enqueue(db, **overrides)


def test_dead_letters_and_failing_messages_are_listed_per_organisation(db: Session) -> None:
    org, other = create_organization(db), create_organization(db)
    dead = _enqueue(db, organization_id=org.id)
    failed = _enqueue(db, organization_id=org.id, now=NOW + timedelta(minutes=1))
    _enqueue(db, organization_id=org.id)  # pending: not listed
    foreign = _enqueue(db, organization_id=other.id)
    dead.status = OutboxStatus.DEAD
    failed.status = OutboxStatus.FAILED
    foreign.status = OutboxStatus.DEAD
    db.flush()
    assert [m.id for m in service.dead_letters(db, org.id)] == [dead.id]
    assert [m.id for m in service.list_messages(db, org.id)] == [failed.id, dead.id]
    assert [m.id for m in service.dead_letters(db, other.id)] == [foreign.id]


def test_retry_makes_a_dead_message_due_now_with_fresh_attempts(db: Session) -> None:
    org = create_organization(db)
    message = _enqueue(db, organization_id=org.id)
    message.status, message.attempts, message.last_error = OutboxStatus.DEAD, 8, "HTTP 500"
    db.flush()
    later = NOW + timedelta(hours=3)
    retried = service.retry(db, message.id, organization_id=org.id, now=later)
    assert retried.status is OutboxStatus.PENDING
    assert retried.attempts == 0
    assert retried.next_attempt_at == later
    # The reason stays visible until the next attempt replaces it.
    assert retried.last_error == "HTTP 500"


def test_retry_refuses_another_organisations_message_and_a_delivered_one(db: Session) -> None:
    org, other = create_organization(db), create_organization(db)
    message = _enqueue(db, organization_id=org.id)
    message.status = OutboxStatus.DEAD
    db.flush()
    with pytest.raises(NotFound):
        service.retry(db, message.id, organization_id=other.id, now=NOW)
    with pytest.raises(NotFound):
        service.retry(db, uuid.uuid4(), organization_id=org.id, now=NOW)
    message.status = OutboxStatus.DELIVERED
    db.flush()
    with pytest.raises(Conflict, match="only failed or dead messages"):
        service.retry(db, message.id, organization_id=org.id, now=NOW)
