"""Assigning an intake's reviewer opens that intake's case alone, for a limited time.

Regression: a coordinator's ``POST /api/intakes {"client_id", "reviewer_id"}`` used to put
the reviewer on the client's care team for good, which opened the client's whole record, past
cases and measures to any clinician the coordinator named.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.intake import service as intake_service
from alongside.kit.time import utcnow
from alongside.models import AuditEvent, CareTeam, Intake, ReviewAssignment, Role, Suggestion
from alongside.security.access import actor_for
from tests.fixtures.factories import World, create_staff
from tests.fixtures.web import sign_in
from tests.intake.conftest import CALM, complete
from tests.review.review_support import submitted

REASON = "Speaks the first language of this client; the team is away this week."


def _submit(db: Session, intake_id: object) -> Suggestion:
    intake = db.get(Intake, intake_id)
    assert intake is not None
    complete(db, intake, CALM)
    outcome = intake_service.submit_intake(
        db, intake, now=utcnow(), case_url_base="http://alongside.test", oncall_webhook=False
    )
    suggestion = db.get(Suggestion, outcome.suggestion_id)
    assert suggestion is not None
    return suggestion


def test_assigned_reviewer_reads_the_case_but_not_the_record(
    client: TestClient, db: Session, world: World
) -> None:
    outsider = world.outside_client  # on another clinician's care team
    # A past case of the client, made by their own clinician.
    past = submitted(db, world.other_clinician, outsider)
    reviewer = create_staff(db, world.org, Role.CLINICIAN)
    coordinator = world.users[Role.COORDINATOR]

    csrf = sign_in(client, coordinator)
    body = {"client_id": str(outsider.id), "reviewer_id": str(reviewer.id)}
    missing_reason = client.post("/api/intakes", json=body, headers={"X-CSRF-Token": csrf})
    assert missing_reason.status_code == 422
    assert "reason" in missing_reason.json()["error"]
    created = client.post(
        "/api/intakes", json={**body, "reason": REASON}, headers={"X-CSRF-Token": csrf}
    )
    assert created.status_code == 201, created.text
    case = _submit(db, uuid.UUID(created.json()["id"]))

    # Not on the care team, and the assignment says who asked, why, and that it is open.
    assert (
        db.scalar(
            select(CareTeam).where(
                CareTeam.client_id == outsider.id, CareTeam.clinician_id == reviewer.id
            )
        )
        is None
    )
    assignment = db.scalar(
        select(ReviewAssignment).where(ReviewAssignment.reviewer_id == reviewer.id)
    )
    assert assignment is not None
    assert assignment.assigned_by_id == coordinator.id
    assert assignment.reason == REASON
    assert assignment.outside_care_team is True
    assert assignment.ends_at is None
    assert REASON.encode() not in (assignment.reason_ct or b"")

    client.cookies.clear()
    sign_in(client, reviewer)
    # Positive control: the assigned case opens and shows in the reviewer's queue.
    assert client.get(f"/api/review/{case.id}").status_code == 200
    queue = client.get("/api/review/queue").json()
    assert [entry["suggestion_id"] for entry in queue["items"]] == [str(case.id)]
    # The rest of the record stays closed.
    assert client.get(f"/api/clients/{outsider.id}").status_code == 404
    assert client.get(f"/api/review/{past.id}").status_code == 404
    assert client.get(f"/api/clients/{outsider.id}/measures").status_code == 404
    assert client.get(f"/api/clients/{outsider.id}/appointments").status_code == 404
    assert client.get(f"/clients/{outsider.id}").status_code == 404

    # The assignment is in the client's access log, with who asked.
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.client_id == outsider.id, AuditEvent.action == "assign")
    ).all()
    assert (coordinator.id, "review_assignment", str(assignment.id)) in [
        (e.actor_id, e.resource_type, e.resource_id) for e in events
    ]


def test_assignment_ends_a_set_time_after_the_decision(db: Session, world: World) -> None:
    reviewer = create_staff(db, world.org, Role.CLINICIAN)
    now = utcnow()
    created = intake_service.create_intake(
        db,
        actor=world.users[Role.COORDINATOR],
        client_id=world.outside_client.id,
        reviewer_id=reviewer.id,
        reason=REASON,
        now=now,
    )
    case = _submit(db, created.intake.id)
    assert case.intake_id in actor_for(db, reviewer, now).assigned_intake_ids

    from alongside.review import service as review_service

    review_service.decide(
        db,
        user=reviewer,
        actor=actor_for(db, reviewer, now),
        suggestion_id=case.id,
        outcome="accepted",
        now=now,
    )
    assignment = db.scalar(
        select(ReviewAssignment).where(ReviewAssignment.intake_id == case.intake_id)
    )
    assert assignment is not None
    assert assignment.ends_at == now + timedelta(hours=review_service.DEFAULT_ASSIGNMENT_HOURS)
    # Still open within the grace period, closed after it.
    assert case.intake_id in actor_for(db, reviewer, now + timedelta(hours=71)).assigned_intake_ids
    later = actor_for(db, reviewer, now + timedelta(hours=73))
    assert case.intake_id not in later.assigned_intake_ids
    assert not review_service.may_review(db, actor=later, suggestion_id=case.id)


def test_lead_sees_assignments_outside_the_care_team(
    client: TestClient, db: Session, world: World
) -> None:
    reviewer = create_staff(db, world.org, Role.CLINICIAN)
    intake_service.create_intake(
        db,
        actor=world.users[Role.COORDINATOR],
        client_id=world.outside_client.id,
        reviewer_id=reviewer.id,
        reason=REASON,
        now=utcnow(),
    )
    # The client's own clinician reviewing is no access outside the team: not listed.
    intake_service.create_intake(
        db, actor=world.users[Role.CLINICIAN], client_id=world.own_client.id, now=utcnow()
    )
    sign_in(client, world.users[Role.CLINICAL_LEAD])
    listed = client.get("/api/review-assignments")
    assert listed.status_code == 200
    assert [(row["reviewer_id"], row["reason"]) for row in listed.json()] == [
        (str(reviewer.id), REASON)
    ]
    page = client.get("/access/review")
    assert REASON in page.text
    assert reviewer.display_name in page.text
    client.cookies.clear()
    sign_in(client, world.users[Role.CLINICIAN])
    assert client.get("/api/review-assignments").status_code == 404
