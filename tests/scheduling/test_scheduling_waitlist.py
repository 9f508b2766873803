"""Waitlist: entering it after a decision, order, matching proposals confirmed by a person,
re-screens that send a case back to triage with an alert to the clinical lead."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_scheduling_service import NOW, actor, audit_count, clinic, working_clinician

from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.models import (
    Appointment,
    Intake,
    IntakeStatus,
    OutboxMessage,
    Role,
    Score,
    WaitlistStatus,
)
from alongside.scheduling import service, waitlist
from tests.fixtures.factories import World, create_client


def _score(
    db: Session,
    client_id: uuid.UUID,
    org_id: uuid.UUID,
    instrument: str,
    total: int | None,
    *,
    intake_id: uuid.UUID | None = None,
    flags: list[str] | None = None,
    severity: str = "mild",
    at: datetime = NOW,
) -> Score:
    score = Score(
        organization_id=org_id,
        client_id=client_id,
        intake_id=intake_id,
        instrument_id=instrument,
        instrument_version="1.0.0",
        total=total,
        severity=severity,
        flags=flags or [],
        result=json.dumps({"total": total}),
        scored_at=at,
    )
    db.add(score)
    db.flush()
    return score


# ---------------------------------------------------------------------------------------------
# judge_rescreen (pure)


@pytest.mark.parametrize(
    ("baseline", "latest", "flags", "cssrs", "back"),
    [
        ({"phq9": 8}, {"phq9": 16}, [], None, True),  # +8 >= 6: reliable deterioration
        ({"phq9": 8}, {"phq9": 12}, [], None, False),  # +4 < 6
        ({"gad7": 8}, {"gad7": 12}, [], None, True),  # +4 >= 4
        ({"phq9": 16}, {"phq9": 8}, [], None, False),  # improvement
        ({"phq9": 8}, {"phq9": 9}, ["phq9-item9"], None, True),
        ({}, {"phq9": 20}, [], None, False),  # no baseline: nothing to compare
        ({"phq9": 8}, {"phq9": 8}, [], "high", True),
        ({"phq9": 8}, {"phq9": 8}, [], "low", False),
    ],
)
def test_judge_rescreen(
    baseline: dict[str, float],
    latest: dict[str, float],
    flags: list[str],
    cssrs: str | None,
    back: bool,
) -> None:
    judgement = waitlist.judge_rescreen(baseline, latest, flags, cssrs)
    assert judgement.back_to_triage is back
    assert bool(judgement.reasons) is back
    if back and baseline and latest.get("phq9", 0) - baseline.get("phq9", 0) >= 6:
        assert "reliable deterioration" in judgement.reasons[0]
        assert "NHS Talking Therapies" in judgement.reasons[0]


# ---------------------------------------------------------------------------------------------


def test_add_to_waitlist_takes_the_latest_totals_as_baseline_and_is_idempotent(
    db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    client = world.own_client
    _score(db, client.id, world.org.id, "phq9", 9, at=NOW - timedelta(days=30))
    _score(db, client.id, world.org.id, "phq9", 14, at=NOW - timedelta(days=1))
    _score(db, client.id, world.org.id, "gad7", 11, at=NOW - timedelta(days=1))
    before = audit_count(db, "waitlist_entry")
    entry = waitlist.add_to_waitlist(
        db, client_id=client.id, urgency="soon", pathway="step2", decided_by=clinician, now=NOW
    )
    assert entry.baseline == {"gad7": 11, "phq9": 14}
    assert entry.next_rescreen_at == NOW + timedelta(days=28)
    assert b"phq9" not in (entry.baseline_ct or b"")
    again = waitlist.add_to_waitlist(
        db,
        client_id=client.id,
        urgency="urgent",
        pathway="step3",
        decided_by=clinician,
        now=NOW + timedelta(days=3),
    )
    assert again.id == entry.id
    assert (again.urgency, again.pathway, again.added_at) == ("urgent", "step3", NOW)
    assert audit_count(db, "waitlist_entry") == before + 2


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"urgency": "whenever"}, InvalidInput),
        ({"pathway": " "}, InvalidInput),
        ({"decided_by": "coordinator"}, InvalidInput),
        ({"client_id": "foreign"}, NotFound),
    ],
)
def test_add_to_waitlist_refuses(
    db: Session, world: World, overrides: dict[str, object], error: type[Exception]
) -> None:
    values: dict[str, object] = {
        "client_id": world.own_client.id,
        "urgency": "routine",
        "pathway": "step2",
        "decided_by": world.users[Role.CLINICIAN],
        "now": NOW,
    }
    values.update(overrides)
    if values["decided_by"] == "coordinator":
        values["decided_by"] = world.users[Role.COORDINATOR]
    if values["client_id"] == "foreign":
        values["client_id"] = world.foreign_client.id
    with pytest.raises(error):
        waitlist.add_to_waitlist(db, **values)  # type: ignore[arg-type]


def test_list_is_ordered_by_urgency_then_waiting_time_and_for_managers_only(
    db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    plan = [("routine", 30), ("urgent", 2), ("routine", 40), ("urgent", 5), ("crisis", 0)]
    ids = []
    for urgency, days_ago in plan:
        client = create_client(db, world.org)
        entry = waitlist.add_to_waitlist(
            db,
            client_id=client.id,
            urgency=urgency,
            pathway="step2",
            decided_by=clinician,
            now=NOW - timedelta(days=days_ago),
        )
        ids.append(entry.id)
    coordinator = world.users[Role.COORDINATOR]
    ordered = waitlist.list_waitlist(
        db, user=coordinator, actor=actor(db, coordinator), now=NOW
    ).items
    assert [e.id for e in ordered] == [ids[4], ids[3], ids[1], ids[2], ids[0]]
    for user in (clinician, world.users[Role.ADMIN], world.client_user):
        with pytest.raises(NotFound):
            waitlist.list_waitlist(db, user=user, actor=actor(db, user), now=NOW)
    lead = world.users[Role.CLINICAL_LEAD]
    assert len(waitlist.list_waitlist(db, user=lead, actor=actor(db, lead), now=NOW).items) == 5
    other = world.other_clinician
    removed = waitlist.remove_from_waitlist(
        db,
        user=coordinator,
        actor=actor(db, coordinator),
        entry_id=ids[0],
        reason="Found care",
        now=NOW,
    )
    assert removed.status is WaitlistStatus.REMOVED
    with pytest.raises(Conflict):
        waitlist.remove_from_waitlist(
            db, user=coordinator, actor=actor(db, coordinator), entry_id=ids[0], reason="x", now=NOW
        )
    with pytest.raises(NotFound):
        waitlist.remove_from_waitlist(
            db, user=other, actor=actor(db, other), entry_id=ids[1], reason="x", now=NOW
        )


def test_proposals_need_a_person_to_confirm_and_say_why(db: Session, world: World) -> None:
    c = clinic(db, world)
    spanish = working_clinician(db, world.org, languages=("en", "es"), modalities=["cbt"])
    coordinator = world.users[Role.COORDINATOR]
    me = actor(db, coordinator)
    hispanohablante = create_client(db, world.org, preferred_language="es")
    english = create_client(db, world.org)
    service.save_preferences(
        db, user=coordinator, actor=me, client_id=hispanohablante.id, now=NOW, modality="cbt"
    )
    for client, urgency in ((hispanohablante, "urgent"), (english, "routine")):
        waitlist.add_to_waitlist(
            db,
            client_id=client.id,
            urgency=urgency,
            pathway="step2",
            decided_by=c.clinician,
            now=NOW,
        )
    result = waitlist.match_proposals(db, user=coordinator, actor=me, now=NOW)
    by_client = {result.entries[p.client_id].client_id: p for p in result.proposals}
    assert set(by_client) == {hispanohablante.id, english.id}
    spanish_match = by_client[hispanohablante.id]
    assert spanish_match.clinician_id == str(spanish.id)
    reasons = result.reasons(spanish_match)
    assert any("Spanish" in r for r in reasons)
    assert "modality: offers" in " ".join(spanish_match.preferences_met)
    # Nothing booked by proposing.
    assert db.scalar(select(func.count()).select_from(Appointment)) == 0
    entry = result.entries[spanish_match.client_id]
    appointment = waitlist.confirm_match(
        db,
        user=coordinator,
        actor=me,
        entry_id=entry.id,
        clinician_id=spanish.id,
        starts_at=spanish_match.slot.start,
        reason="Matched: Spanish, CBT",
        now=NOW,
    )
    assert appointment.waitlist_entry_id == entry.id
    assert entry.status is WaitlistStatus.BOOKED
    with pytest.raises(Conflict):
        waitlist.confirm_match(
            db,
            user=coordinator,
            actor=me,
            entry_id=entry.id,
            clinician_id=spanish.id,
            starts_at=spanish_match.slot.start,
            reason="again",
            now=NOW,
        )
    # The booked client no longer appears; the English client can be changed to either clinician.
    english_entry = result.entries[by_client[english.id].client_id]
    alternatives = waitlist.alternatives_for(
        db, user=coordinator, actor=me, entry_id=english_entry.id, now=NOW
    )
    assert {a.clinician.id for a in alternatives if a.proposal} == {c.clinician.id, spanish.id}
    # A clinician with no profile is not offered; someone of the other org never is.
    assert all(a.clinician.organization_id == world.org.id for a in alternatives)


def test_confirming_a_slot_taken_meanwhile_is_a_409(db: Session, world: World) -> None:
    c = clinic(db, world)
    coordinator = world.users[Role.COORDINATOR]
    me = actor(db, coordinator)
    first, second = create_client(db, world.org), create_client(db, world.org)
    entries = [
        waitlist.add_to_waitlist(
            db, client_id=x.id, urgency="routine", pathway="step2", decided_by=c.clinician, now=NOW
        )
        for x in (first, second)
    ]
    slot_start = NOW.replace(hour=9)
    waitlist.confirm_match(
        db,
        user=coordinator,
        actor=me,
        entry_id=entries[0].id,
        clinician_id=c.clinician.id,
        starts_at=slot_start,
        reason="ok",
        now=NOW,
    )
    with pytest.raises(Conflict):
        waitlist.confirm_match(
            db,
            user=coordinator,
            actor=me,
            entry_id=entries[1].id,
            clinician_id=c.clinician.id,
            starts_at=slot_start,
            reason="ok",
            now=NOW,
        )


def test_rescreens_are_created_when_due_and_deterioration_goes_back_to_triage(
    db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    coordinator = world.users[Role.COORDINATOR]
    worse, steady = world.own_client, create_client(db, world.org, clinicians=(clinician,))
    for client in (worse, steady):
        _score(db, client.id, world.org.id, "phq9", 8, at=NOW - timedelta(days=1))
    entries = {
        client.id: waitlist.add_to_waitlist(
            db,
            client_id=client.id,
            urgency="routine",
            pathway="step2",
            decided_by=clinician,
            now=NOW,
        )
        for client in (worse, steady)
    }
    assert waitlist.due_rescreens(db, user=coordinator, now=NOW + timedelta(days=27)) == []
    due_at = NOW + timedelta(days=28)
    due = waitlist.due_rescreens(db, user=coordinator, now=due_at)
    assert {r.entry.client_id for r in due} == {worse.id, steady.id}
    assert all(r.link_path and r.link_path.startswith("/intake/") for r in due)
    for rescreen in due:
        intake = db.get(Intake, rescreen.entry.rescreen_intake_id)
        assert intake is not None
        assert intake.instruments == ["phq9", "gad7", "cssrs-screen"]
        assert intake.reviewer_id == clinician.id
        assert rescreen.entry.next_rescreen_at == due_at + timedelta(days=28)
    # Nothing submitted yet: nothing judged.
    assert waitlist.check_rescreens(db, now=due_at) == []
    for client, total in ((worse, 17), (steady, 9)):
        entry = entries[client.id]
        intake = db.get(Intake, entry.rescreen_intake_id)
        assert intake is not None
        intake.status = IntakeStatus.SUBMITTED
        _score(db, client.id, world.org.id, "phq9", total, intake_id=intake.id, at=due_at)
    db.flush()
    returned = waitlist.check_rescreens(db, now=due_at, case_url_base="https://clinic.test")
    assert [e.client_id for e in returned] == [worse.id]
    assert entries[worse.id].status is WaitlistStatus.BACK_TO_TRIAGE
    assert "reliable deterioration" in (entries[worse.id].status_reason or "")
    assert entries[steady.id].status is WaitlistStatus.WAITING
    alerts = list(
        db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "waitlist_back_to_triage"))
    )
    assert [a.recipient for a in alerts] == [world.users[Role.CLINICAL_LEAD].email]
    assert worse.family_name not in alerts[0].body
    assert "https://clinic.test/scheduling/waitlist#entry-" in alerts[0].body
    # Judged once.
    assert waitlist.check_rescreens(db, now=due_at) == []
    with pytest.raises(NotFound):
        waitlist.due_rescreens(db, user=clinician, now=due_at)


def test_a_risk_flag_alone_sends_back_to_triage(db: Session, world: World) -> None:
    clinician = world.users[Role.CLINICIAN]
    entry = waitlist.add_to_waitlist(
        db,
        client_id=world.own_client.id,
        urgency="routine",
        pathway="step2",
        decided_by=clinician,
        now=NOW,
    )
    due = waitlist.due_rescreens(
        db, user=world.users[Role.COORDINATOR], now=NOW + timedelta(days=30)
    )
    intake = db.get(Intake, due[0].entry.rescreen_intake_id)
    assert intake is not None
    intake.status = IntakeStatus.SUBMITTED
    _score(
        db,
        world.own_client.id,
        world.org.id,
        "cssrs-screen",
        None,
        intake_id=intake.id,
        severity="high",
    )
    returned = waitlist.check_rescreens(db, now=NOW + timedelta(days=30))
    assert returned == [entry]
    assert "C-SSRS screener: high risk." in (entry.status_reason or "")


def test_a_caseload_counts_active_clients_only(db: Session, world: World) -> None:
    """Former clients stay on their clinician's care team for the record; counting them left
    the demo clinic (a year of discharged clients) with no caseload room and no proposal."""
    c = clinic(db, world)
    service.save_clinician_profile(
        db, actor=actor(db, c.clinician), clinician_id=c.clinician.id, caseload_capacity=2
    )
    for _ in range(3):
        create_client(db, world.org, clinicians=(c.clinician,), status="discharged")
    # The own client (active) and one waiting: two places of two.
    newcomer = create_client(db, world.org)
    waitlist.add_to_waitlist(
        db,
        client_id=newcomer.id,
        urgency="routine",
        pathway="step2",
        decided_by=c.clinician,
        now=NOW,
    )
    coordinator = world.users[Role.COORDINATOR]
    result = waitlist.match_proposals(db, user=coordinator, actor=actor(db, coordinator), now=NOW)
    assert [p.clinician_id for p in result.proposals] == [str(c.clinician.id)]
