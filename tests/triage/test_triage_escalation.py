"""Crisis escalation in the test's rolled-back transaction: the path when people are missing,
the acknowledgement's refusals in words, and the queue of alerts a person has been sent.

The worker's own round on committed data, with a real SMTP server, is in
``tests/review/test_review_escalation.py``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.models import (
    CrisisAlert,
    OutboxChannel,
    OutboxMessage,
    Role,
    Suggestion,
    User,
)
from alongside.security.access import actor_for
from alongside.triage import escalation
from alongside.triage.escalation import (
    FALLBACK_CASE_URL_BASE,
    MAX_NOTE_LENGTH,
    acknowledge_alert,
    alert_for,
    alerts_for_user,
    escalate_due,
    escalation_chain,
    open_crisis_alert,
)
from alongside.triage.service import set_on_call_rota
from tests.fixtures.factories import create_client, create_organization, create_staff
from tests.review.review_support import CASE_URL_BASE, NOW, submitted

LATER = NOW + timedelta(minutes=15, seconds=1)


def _escalations(db: Session) -> list[OutboxMessage]:
    return list(
        db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == escalation.ESCALATION_KIND)
            .order_by(OutboxMessage.created_at, OutboxMessage.channel)
        )
    )


def _alert(db: Session, suggestion: Suggestion) -> CrisisAlert:
    alert = alert_for(db, suggestion.id)
    assert alert is not None
    return alert


def _clinic(db: Session, *, oncall_webhook: bool = False) -> tuple[list[User], User, Suggestion]:
    """Two clinicians on the rota, a clinical lead, and a crisis proposal alerted to the first."""
    org = create_organization(db)
    first, second = (create_staff(db, org, Role.CLINICIAN) for _ in range(2))
    lead = create_staff(db, org, Role.CLINICAL_LEAD)
    set_on_call_rota(db, org.id, [first.id, second.id], now=NOW)
    client = create_client(db, org, clinicians=(first,))
    suggestion = submitted(db, first, client, "crisis", at=NOW, oncall_webhook=oncall_webhook)
    return [first, second], lead, suggestion


def test_chain_starts_with_whoever_was_alerted_even_if_they_left_the_rota() -> None:
    off_rota, a, b, lead = (uuid.uuid4() for _ in range(4))
    assert escalation_chain([a, b], [lead], first=off_rota) == [off_rota, a, lead]


def test_with_nobody_on_call_the_clinical_lead_is_alerted_at_once(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    org = create_organization(db)
    clinician = create_staff(db, org, Role.CLINICIAN)
    lead = create_staff(db, org, Role.CLINICAL_LEAD)
    client = create_client(db, org, clinicians=(clinician,))
    # The only clinician leaves before the intake comes in: nobody is on call.
    clinician.is_active = False
    db.flush()
    suggestion = submitted(db, clinician, client, "crisis", at=NOW)
    assert suggestion.alerted_user_id is None
    alert = _alert(db, suggestion)
    assert alert.level == -1
    assert alert.escalate_at == NOW
    # No first alert left a link behind, so the case link is built from the intake.
    assert alert.case_url == f"{FALLBACK_CASE_URL_BASE}/review/intakes/{suggestion.intake_id}"
    db.commit()

    assert escalate_due(session_factory, NOW) == 1
    (message,) = _escalations(db)
    assert message.recipient == lead.email
    assert message.channel == OutboxChannel.EMAIL
    assert alert.case_url in message.body
    assert "You are the last person on the escalation path." in message.body


def test_a_crisis_proposal_without_an_alert_row_is_opened_and_escalated_by_the_worker(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    (first, second), _lead, suggestion = _clinic(db)
    # A proposal stored before alert rows existed: the worker opens its row from the first
    # alert (who was alerted, when, the link) and carries on from there.
    db.execute(delete(CrisisAlert).where(CrisisAlert.suggestion_id == suggestion.id))
    db.commit()

    assert escalate_due(session_factory, NOW) == 0
    alert = _alert(db, suggestion)
    assert alert.level == 0
    assert alert.recipient_id == first.id
    assert alert.case_url.startswith(CASE_URL_BASE)

    assert escalate_due(session_factory, LATER) == 1
    assert [message.recipient for message in _escalations(db)] == [second.email]


def test_someone_who_left_since_the_rota_was_read_is_passed_over(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    (_first, second), lead, _suggestion = _clinic(db)
    second.is_active = False
    db.commit()

    assert escalate_due(session_factory, LATER) == 1
    (message,) = _escalations(db)
    assert message.recipient == lead.email
    assert message.payload["escalation_level"] == 2


def test_an_alert_paged_by_webhook_is_escalated_by_webhook_too(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    (_first, second), _lead, suggestion = _clinic(db, oncall_webhook=True)
    assert _alert(db, suggestion).page_webhook
    db.commit()

    assert escalate_due(session_factory, LATER) == 1
    sent = {(message.channel, message.recipient) for message in _escalations(db)}
    assert sent == {
        (OutboxChannel.EMAIL, second.email),
        (OutboxChannel.WEBHOOK, escalation.ONCALL_WEBHOOK),
    }
    assert all(message.payload["oncall_user_id"] == str(second.id) for message in _escalations(db))


def test_an_alert_acknowledged_after_the_worker_listed_it_alerts_nobody(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    (first, _second), _lead, suggestion = _clinic(db)
    alert = _alert(db, suggestion)
    acknowledge_alert(
        db,
        user=first,
        actor=actor_for(db, first, NOW),
        alert_id=alert.id,
        action="client_called",
        note=None,
        now=NOW + timedelta(minutes=3),
    )
    db.commit()
    # The worker listed the alert as due a moment before the acknowledgement landed.
    assert escalation._escalate_one(session_factory, alert.id, LATER) == 0
    assert _escalations(db) == []


def test_of_two_workers_escalating_the_same_alert_only_one_alerts_the_next_person(
    db: Session, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    (_first, second), _lead, suggestion = _clinic(db)
    alert = _alert(db, suggestion)
    db.commit()
    minutes = escalation.escalation_minutes
    other_worker: list[int] = []
    calls: list[uuid.UUID] = []

    def meanwhile(session: Session, organization_id: uuid.UUID) -> int:
        # While this worker reads the alert, another one moves it on and commits.
        calls.append(organization_id)
        if len(calls) == 1:
            other_worker.append(escalation._escalate_one(session_factory, alert.id, LATER))
        return minutes(session, organization_id)

    monkeypatch.setattr(escalation, "escalation_minutes", meanwhile)
    assert escalation._escalate_one(session_factory, alert.id, LATER) == 0
    assert other_worker == [1]
    assert [message.recipient for message in _escalations(db)] == [second.email]


def test_opening_an_alert_a_worker_opened_at_the_same_moment_keeps_theirs(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _on_call, _lead, suggestion = _clinic(db)
    theirs = _alert(db, suggestion)
    assert open_crisis_alert(db, suggestion, now=NOW) is theirs  # idempotent
    looked = []

    def not_there_yet(session: Session, suggestion_id: uuid.UUID) -> CrisisAlert | None:
        looked.append(suggestion_id)
        return None if len(looked) == 1 else alert_for(session, suggestion_id)

    monkeypatch.setattr(escalation, "alert_for", not_there_yet)
    assert open_crisis_alert(db, suggestion, now=NOW) is theirs
    assert db.scalars(select(CrisisAlert).where(CrisisAlert.suggestion_id == suggestion.id)).all()
    assert len(db.scalars(select(CrisisAlert)).all()) == 1


def test_opening_an_alert_does_not_hide_an_integrity_error_of_another_kind(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _on_call, _lead, suggestion = _clinic(db)
    # The row is refused, yet no alert for the proposal can be found: not the race above.
    monkeypatch.setattr(escalation, "alert_for", lambda _session, _id: None)
    with pytest.raises(IntegrityError):
        open_crisis_alert(db, suggestion, now=NOW)


def test_acknowledging_refuses_in_words(db: Session) -> None:
    (first, _second), _lead, suggestion = _clinic(db)
    alert = _alert(db, suggestion)
    actor = actor_for(db, first, NOW)

    def acknowledge(action: str, note: str | None) -> CrisisAlert:
        return acknowledge_alert(
            db, user=first, actor=actor, alert_id=alert.id, action=action, note=note, now=NOW
        )

    with pytest.raises(InvalidInput, match="action: choose one of client_called"):
        acknowledge("waved", None)
    with pytest.raises(InvalidInput, match="say what you did when you choose 'other'"):
        acknowledge("other", "   ")
    with pytest.raises(InvalidInput, match=f"at most {MAX_NOTE_LENGTH} characters"):
        acknowledge("no_answer", "x" * (MAX_NOTE_LENGTH + 1))
    assert _alert(db, suggestion).acknowledged_at is None

    acknowledged = acknowledge("other", "  Left a message with the GP.  ")
    assert acknowledged.action_note == "Left a message with the GP."
    with pytest.raises(Conflict, match="already acknowledged"):
        acknowledge("client_called", None)


def test_someone_from_another_organisation_cannot_see_or_acknowledge_the_alert(
    db: Session,
) -> None:
    _on_call, _lead, suggestion = _clinic(db)
    alert = _alert(db, suggestion)
    stranger = create_staff(db, create_organization(db), Role.CLINICAL_LEAD)
    with pytest.raises(NotFound, match="no such crisis alert"):
        acknowledge_alert(
            db,
            user=stranger,
            actor=actor_for(db, stranger, NOW),
            alert_id=alert.id,
            action="client_called",
            note=None,
            now=NOW,
        )
    with pytest.raises(NotFound):
        escalation.get_alert(db, actor=actor_for(db, stranger, NOW), alert_id=uuid.uuid4())
    assert alerts_for_user(db, actor=actor_for(db, stranger, NOW)) == []


def test_each_person_is_queued_the_alerts_that_have_reached_them(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    (first, second), lead, suggestion = _clinic(db)
    alert = _alert(db, suggestion)

    def queued(user: User) -> list[uuid.UUID]:
        return [row.id for row in alerts_for_user(db, actor=actor_for(db, user, NOW))]

    assert queued(first) == [alert.id]
    assert queued(second) == []
    db.commit()
    escalate_due(session_factory, LATER)
    db.expire_all()
    assert queued(second) == [alert.id]
    assert queued(first) == [alert.id]  # still theirs to pick up until someone acknowledges
    assert queued(lead) == []
    # Each reads when they were alerted: the first from the first alert, the second from
    # the escalation that reached them.
    alert = _alert(db, suggestion)
    assert escalation.alerted_at_for(db, alert, first.id) == NOW
    assert escalation.alerted_at_for(db, alert, second.id) == LATER
    db.commit()
    escalate_due(session_factory, LATER + timedelta(minutes=15, seconds=1))
    db.expire_all()
    alert = _alert(db, suggestion)
    assert queued(lead) == [alert.id]
    assert escalation.alerted_at_for(db, alert, second.id) == LATER


def test_the_care_team_may_acknowledge_an_alert_that_has_not_reached_them(db: Session) -> None:
    org = create_organization(db)
    on_call, therapist, colleague = (create_staff(db, org, Role.CLINICIAN) for _ in range(3))
    set_on_call_rota(db, org.id, [on_call.id], now=NOW)
    client = create_client(db, org, clinicians=(therapist,))
    alert = _alert(db, submitted(db, therapist, client, "crisis", at=NOW))
    assert alert.recipient_id == on_call.id

    # A clinician neither alerted nor on the client's care team is not told it exists.
    with pytest.raises(NotFound):
        escalation.get_alert(db, actor=actor_for(db, colleague, NOW), alert_id=alert.id)
    acknowledged = acknowledge_alert(
        db,
        user=therapist,
        actor=actor_for(db, therapist, NOW),
        alert_id=alert.id,
        action="emergency_services_contacted",
        note=None,
        now=NOW + timedelta(minutes=2),
    )
    assert acknowledged.acknowledged_by_id == therapist.id
    assert acknowledged.escalate_at is None
