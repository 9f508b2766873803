"""The review service: queue order and scope, case view, decisions and their rules."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.models import (
    AuditEvent,
    Decision,
    DecisionOutcome,
    RiskReading,
    Role,
    SuggestionStatus,
    WaitlistEntry,
)
from alongside.review import service
from alongside.security.access import actor_for
from tests.fixtures.factories import World, create_client
from tests.review.review_support import NOW, minutes, submitted


def _actor(db: Session, world: World, role: Role = Role.CLINICIAN):  # type: ignore[no-untyped-def]
    user = world.users[role]
    return user, actor_for(db, user, NOW)


def test_queue_orders_by_urgency_then_time_waited(db: Session, world: World) -> None:
    clinician = world.users[Role.CLINICIAN]
    clients = [create_client(db, world.org, clinicians=(clinician,)) for _ in range(5)]
    soon_old = submitted(db, clinician, clients[0], "severe", at=NOW - minutes(600))
    urgent_new = submitted(db, clinician, clients[1], "urgent", at=NOW - minutes(5))
    crisis = submitted(db, clinician, clients[2], "crisis", at=NOW - minutes(1))
    # The client declined the software reading of the words they wrote: urgent, unread words.
    urgent_old = submitted(db, clinician, clients[3], "calm", at=NOW - minutes(300), reading=False)
    soon_new = submitted(db, clinician, clients[4], "severe", at=NOW - minutes(2))
    user, actor = _actor(db, world)
    entries = service.review_queue(db, user=user, actor=actor, now=NOW).items
    got = [entry.suggestion_id for entry in entries]
    assert got == [crisis.id, urgent_old.id, urgent_new.id, soon_old.id, soon_new.id]
    assert [entry.urgency for entry in entries] == ["crisis", "urgent", "urgent", "soon", "soon"]
    crisis_entry = entries[0]
    assert crisis_entry.urgency == "crisis"
    assert crisis_entry.wait.target == minutes(60)
    assert crisis_entry.alert_state == "unacknowledged"
    urgent_entry = entries[1]
    assert urgent_entry.wait.waited == minutes(300)
    assert not urgent_entry.wait.overdue
    assert urgent_entry.needs_human_reading
    assert not entries[3].needs_human_reading


def test_queue_holds_only_clients_the_clinician_may_review(db: Session, world: World) -> None:
    own = submitted(db, world.users[Role.CLINICIAN], world.own_client)
    outside = submitted(db, world.other_clinician, world.outside_client)
    user, actor = _actor(db, world)
    ids = {e.suggestion_id for e in service.review_queue(db, user=user, actor=actor, now=NOW).items}
    assert own.id in ids
    assert outside.id not in ids
    coordinator, coordinator_actor = _actor(db, world, Role.COORDINATOR)
    with pytest.raises(NotFound):
        service.review_queue(db, user=coordinator, actor=coordinator_actor, now=NOW)
    listed = db.scalars(select(AuditEvent).where(AuditEvent.resource_type == "suggestion")).all()
    assert any(event.action == "list" for event in listed)


def test_case_shows_answers_scores_words_and_evidence(db: Session, world: World) -> None:
    suggestion = submitted(
        db,
        world.users[Role.CLINICIAN],
        world.own_client,
        "crisis",
        words="Lately I want to kill myself and I cannot sleep.",
    )
    # The stored reading's evidence spans (the reader's output) mark the words.
    reading = db.scalar(select(RiskReading).where(RiskReading.intake_id == suggestion.intake_id))
    assert reading is not None
    reading.evidence = json.dumps(
        [{"start": 9, "end": 28, "text": "want to kill myself", "signal": "intent"}]
    )
    db.flush()
    user, actor = _actor(db, world)
    case = service.get_case(db, user=user, actor=actor, suggestion_id=suggestion.id, now=NOW)
    phq9 = next(item for item in case.instruments if item.instrument_id == "phq9")
    assert phq9.lines[0].label == "Question 1"
    assert "interest" in phq9.lines[0].text.lower()
    assert phq9.total == 18
    assert phq9.severity
    assert case.words is not None
    assert "kill myself" in case.words
    marked = [piece.text for piece in case.pieces if piece.highlighted]
    assert marked == ["want to kill myself"]
    assert "".join(piece.text for piece in case.pieces) == case.words
    assert case.reasons
    assert case.reasons[0]["urgency"] == "crisis"
    assert case.alert is not None
    assert case.alert.acknowledged_at is None
    assert case.may_decide


def test_case_of_another_care_team_or_organisation_is_404(db: Session, world: World) -> None:
    outside = submitted(db, world.other_clinician, world.outside_client)
    user, actor = _actor(db, world)
    with pytest.raises(NotFound):
        service.get_case(db, user=user, actor=actor, suggestion_id=outside.id, now=NOW)
    for role in (Role.COORDINATOR, Role.ADMIN, Role.CLIENT):
        other, other_actor = _actor(db, world, role)
        own = submitted(
            db,
            world.users[Role.CLINICIAN],
            create_client(db, world.org, clinicians=(world.users[Role.CLINICIAN],)),
        )
        with pytest.raises(NotFound):
            service.get_case(db, user=other, actor=other_actor, suggestion_id=own.id, now=NOW)
        with pytest.raises(NotFound):
            service.decide(
                db, user=other, actor=other_actor, suggestion_id=own.id, outcome="accepted", now=NOW
            )


def test_accept_records_who_when_and_the_proposal(db: Session, world: World) -> None:
    suggestion = submitted(db, world.users[Role.CLINICIAN], world.own_client, "urgent")
    user, actor = _actor(db, world)
    decision = service.decide(
        db, user=user, actor=actor, suggestion_id=suggestion.id, outcome="accepted", now=NOW
    )
    assert decision.outcome is DecisionOutcome.ACCEPTED
    assert decision.decided_by_id == user.id
    assert decision.decided_at == NOW
    assert (decision.urgency, decision.pathway) == (suggestion.urgency, suggestion.pathway)
    db.refresh(suggestion)
    assert suggestion.status is SuggestionStatus.ACCEPTED
    assert [d.id for d in service.decided_triage(db, world.own_client.id)] == [decision.id]
    waiting = db.scalars(
        select(WaitlistEntry).where(WaitlistEntry.decision_ref == str(suggestion.id))
    ).all()
    assert [(w.urgency, w.pathway) for w in waiting] == [(suggestion.urgency, suggestion.pathway)]
    decided = db.scalars(select(AuditEvent).where(AuditEvent.action == "decide")).all()
    assert [event.resource_id for event in decided] == [str(suggestion.id)]


@pytest.mark.parametrize("outcome", ["amended", "rejected"])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_amend_and_reject_need_a_reason(
    db: Session, world: World, outcome: str, reason: str | None
) -> None:
    suggestion = submitted(db, world.users[Role.CLINICIAN], world.own_client)
    user, actor = _actor(db, world)
    with pytest.raises(InvalidInput, match="reason"):
        service.decide(
            db,
            user=user,
            actor=actor,
            suggestion_id=suggestion.id,
            outcome=outcome,
            urgency="urgent",
            reason=reason,
            now=NOW,
        )
    db.refresh(suggestion)
    assert suggestion.status is SuggestionStatus.PROPOSED
    assert db.scalar(select(Decision).where(Decision.suggestion_id == suggestion.id)) is None


def test_amend_keeps_the_clinicians_version_and_reason(db: Session, world: World) -> None:
    suggestion = submitted(db, world.users[Role.CLINICIAN], world.own_client)
    user, actor = _actor(db, world)
    with pytest.raises(InvalidInput, match="changes the urgency or the pathway"):
        service.decide(
            db,
            user=user,
            actor=actor,
            suggestion_id=suggestion.id,
            outcome="amended",
            reason="same",
            now=NOW,
        )
    with pytest.raises(InvalidInput, match="pathway"):
        service.decide(
            db,
            user=user,
            actor=actor,
            suggestion_id=suggestion.id,
            outcome="amended",
            pathway="no-such-pathway",
            reason="x",
            now=NOW,
        )
    decision = service.decide(
        db,
        user=user,
        actor=actor,
        suggestion_id=suggestion.id,
        outcome="amended",
        urgency="urgent",
        reason="Told me on the phone that things got worse this week.",
        now=NOW,
    )
    assert decision.urgency == "urgent"
    assert decision.proposed_urgency == suggestion.urgency
    assert decision.reason == "Told me on the phone that things got worse this week."
    db.refresh(suggestion)
    assert suggestion.status is SuggestionStatus.AMENDED


def test_a_decided_proposal_cannot_be_decided_again(db: Session, world: World) -> None:
    suggestion = submitted(db, world.users[Role.CLINICIAN], world.own_client)
    user, actor = _actor(db, world)
    service.decide(
        db,
        user=user,
        actor=actor,
        suggestion_id=suggestion.id,
        outcome="rejected",
        reason="Duplicate referral.",
        now=NOW,
    )
    for outcome in ("accepted", "rejected", "amended"):
        with pytest.raises(Conflict):
            service.decide(
                db,
                user=user,
                actor=actor,
                suggestion_id=suggestion.id,
                outcome=outcome,
                urgency="crisis",
                reason="again",
                now=NOW,
            )
    assert len(db.scalars(select(Decision)).all()) == 1
    assert service.decided_triage(db, world.own_client.id) == []
    assert db.scalars(select(WaitlistEntry)).all() == []
