"""Safety plans refuse what the template cannot hold (a clear 422, nothing stored, the earlier
version kept) and link a note only when it is the same client's."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.kit.time import utcnow
from alongside.models import Note, NoteKind, NoteStatus, Role, SafetyPlan
from alongside.notes.safety import MAX_STEP
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in


def _plans(db: Session, world: World) -> list[SafetyPlan]:
    db.expire_all()
    return list(
        db.scalars(
            select(SafetyPlan)
            .where(SafetyPlan.client_id == world.own_client.id)
            .order_by(SafetyPlan.version)
        )
    )


def _note(db: Session, world: World, client_id: uuid.UUID) -> Note:
    note = Note(
        organization_id=world.org.id,
        client_id=client_id,
        author_id=world.users[Role.CLINICIAN].id,
        kind=NoteKind.PROGRESS,
        status=NoteStatus.SIGNED,
        template_id="soap",
        template_version="1",
        signed_at=utcnow(),
        signed_by_id=world.users[Role.CLINICIAN].id,
    )
    note.sections = json.dumps([{"key": "s", "title": "Summary", "sentences": []}])
    db.add(note)
    db.flush()
    return note


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            {"warning_signs": "x" * (MAX_STEP + 1)},
            f"steps: at most {MAX_STEP} characters a step (warning_signs).",
        ),
        ({"warning_signs": "   ", "coping": ""}, "steps: write at least one step with the client."),
        ({}, "steps: write at least one step with the client."),
        (
            {"coping": "Walk", "step_seven": "x"},
            "steps: the plan's steps are warning_signs, coping, social_distraction, "
            "people_to_ask, professionals, safe_environment; not ['step_seven'].",
        ),
    ],
)
def test_a_plan_too_long_or_empty_is_refused_and_the_saved_one_is_kept(
    client: TestClient, world: World, db: Session, steps: dict[str, str], message: str
) -> None:
    headers = {"X-CSRF-Token": sign_in(client, world.users[Role.CLINICIAN])}
    url = f"/api/clients/{world.own_client.id}/safety-plan"
    kept = client.post(url, json={"steps": {"coping": "A walk by the river"}}, headers=headers)
    assert kept.status_code == 201
    refused = client.post(url, json={"steps": steps}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["error"] == message
    [plan] = _plans(db, world)
    assert plan.version == 1
    assert json.loads(plan.steps)["coping"] == "A walk by the river"


def test_a_step_of_exactly_the_limit_is_saved_trimmed(
    client: TestClient, world: World, db: Session
) -> None:
    headers = {"X-CSRF-Token": sign_in(client, world.users[Role.CLINICIAN])}
    url = f"/api/clients/{world.own_client.id}/safety-plan"
    saved = client.post(
        url, json={"steps": {"warning_signs": "  " + "x" * MAX_STEP + "  "}}, headers=headers
    )
    assert saved.status_code == 201
    [plan] = _plans(db, world)
    assert json.loads(plan.steps)["warning_signs"] == "x" * MAX_STEP
    [listed] = client.get(url, headers=headers).json()
    assert listed["version"] == 1
    assert listed["steps"]["warning_signs"] == "x" * MAX_STEP


def test_a_plan_is_linked_to_a_note_only_of_the_same_client(
    client: TestClient, world: World, db: Session
) -> None:
    own = _note(db, world, world.own_client.id)
    elsewhere = _note(db, world, world.outside_client.id)
    headers = {"X-CSRF-Token": sign_in(client, world.users[Role.CLINICIAN])}
    url = f"/api/clients/{world.own_client.id}/safety-plan"
    for note_id in (own.id, elsewhere.id, uuid.uuid4()):
        saved = client.post(
            url,
            json={"steps": {"coping": "Call my sister"}, "note_id": str(note_id)},
            headers=headers,
        )
        assert saved.status_code == 201, saved.text
    assert [plan.note_id for plan in _plans(db, world)] == [own.id, None, None]


def test_the_form_refuses_an_empty_plan_in_words_and_saves_a_written_one(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    url = f"/clients/{world.own_client.id}/safety-plan"
    empty = client.post(
        url,
        data={"csrf_token": csrf, "step-warning_signs": " ", "note_id": "not-a-note"},
        headers={"Accept": "text/html"},
    )
    assert empty.status_code == 422
    assert "write at least one step with the client" in empty.text
    assert _plans(db, world) == []
    saved = client.post(
        url,
        data={"csrf_token": csrf, "step-warning_signs": "Not sleeping", "note_id": "not-a-note"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{url}?saved=1"
    [plan] = _plans(db, world)
    assert plan.note_id is None
    assert json.loads(plan.steps)["warning_signs"] == "Not sleeping"


def test_a_clinician_outside_the_care_team_can_neither_read_nor_write_the_plan(
    client: TestClient, world: World, db: Session
) -> None:
    headers = {"X-CSRF-Token": sign_in(client, world.other_clinician)}
    url = f"/api/clients/{world.own_client.id}/safety-plan"
    written = client.post(url, json={"steps": {"coping": "Walk"}}, headers=headers)
    assert written.status_code == 404
    assert client.get(url, headers=headers).status_code == 404
    assert client.get("/api/clients/not-an-id/safety-plan", headers=headers).status_code == 404
    assert _plans(db, world) == []
