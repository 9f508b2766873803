"""Notes through the API: draft, edit, sign, lock, addenda, lists, psychotherapy notes, FHIR,
safety plans; on SQLite and PostgreSQL (whichever the run targets)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from alongside.kit.time import utcnow
from alongside.models import (
    Appointment,
    AuditEvent,
    BreakGlassGrant,
    CareTeam,
    Note,
    Role,
    Score,
)
from tests.fixtures.factories import World, create_staff
from tests.fixtures.web import sign_in


def _appointment(db: Session, world: World, *, days_ago: int = 0) -> Appointment:
    start = utcnow() - timedelta(days=days_ago, hours=2)
    appointment = Appointment(
        organization_id=world.org.id,
        client_id=world.own_client.id,
        clinician_id=world.users[Role.CLINICIAN].id,
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
        status="attended",
        kind="therapy",
    )
    db.add(appointment)
    db.flush()
    return appointment


def _as(client: TestClient, user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    return {"X-CSRF-Token": sign_in(client, user)}


def _draft(client: TestClient, headers: dict[str, str], appointment: Appointment, **body):  # type: ignore[no-untyped-def]
    payload = {"template": "dap", "jottings": "Mood lower this week.\nP: keep the sleep diary."}
    payload.update(body)
    return client.post(
        f"/api/scheduling/appointments/{appointment.id}/note", json=payload, headers=headers
    )


def test_draft_edit_sign_lock_and_addenda(client: TestClient, world: World, db: Session) -> None:
    appointment = _appointment(db, world)
    db.add(
        Score(
            organization_id=world.org.id,
            client_id=world.own_client.id,
            instrument_id="phq9",
            instrument_version="1",
            total=12,
            severity="moderate",
            flags=[],
            result="{}",
            scored_at=utcnow() - timedelta(days=1),
        )
    )
    db.flush()
    headers = _as(client, world.users[Role.CLINICIAN])
    created = _draft(client, headers, appointment)
    assert created.status_code == 201, created.text
    note = created.json()
    assert note["kind"] == "progress"
    assert note["status"] == "draft"
    assert note["client_id"] == str(world.own_client.id)
    assert [s["title"] for s in note["sections"]] == ["Data", "Assessment", "Plan"]
    by_type = {s["source"]["type"] for sec in note["sections"] for s in sec["sentences"]}
    assert {"jottings", "measure", "appointment"} <= by_type
    measure = next(
        s for sec in note["sections"] for s in sec["sentences"] if s["source"]["type"] == "measure"
    )
    assert "total 12, moderate" in measure["source"]["quote"]

    # Edit: the changed sentence becomes the clinician's; the untouched one keeps its source.
    data = note["sections"][0]
    data["sentences"][-1]["text"] = "Mood lower this week, linked to work stress."
    edited = client.put(f"/api/notes/{note['id']}", json={"sections": [data]}, headers=headers)
    assert edited.status_code == 200, edited.text
    sentences = edited.json()["sections"][0]["sentences"]
    assert sentences[-1]["source"]["type"] == "clinician"
    assert sentences[0]["source"]["type"] == data["sentences"][0]["source"]["type"]

    signed = client.post(f"/api/notes/{note['id']}/sign", headers=headers)
    assert signed.status_code == 200
    assert signed.json()["status"] == "signed"
    # Signed is locked: editing is a conflict, and so is signing again.
    again = client.put(f"/api/notes/{note['id']}", json={"sections": [data]}, headers=headers)
    assert again.status_code == 409
    assert "addendum" in again.json()["error"]
    assert client.post(f"/api/notes/{note['id']}/sign", headers=headers).status_code == 409

    added = client.post(
        f"/api/notes/{note['id']}/addenda",
        json={"text": "Correction: the diary started on Monday."},
        headers=headers,
    )
    assert added.status_code == 201
    addenda = added.json()["addenda"]
    assert addenda[0]["text"] == "Correction: the diary started on Monday."
    assert addenda[0]["signed_at"]
    fetched = client.get(f"/api/notes/{note['id']}", headers=headers).json()
    assert fetched["addenda"] == addenda
    listed = client.get("/api/notes?status=signed", headers=headers).json()["items"]
    assert listed[0]["addenda"] == addenda

    # FHIR: a signed note exports as a validated Composition + DocumentReference.
    bundle = client.get(f"/api/notes/{note['id']}/fhir", headers=headers)
    assert bundle.status_code == 200, bundle.text
    kinds = [e["resource"]["resourceType"] for e in bundle.json()["entry"]]
    assert kinds == ["Composition", "DocumentReference"]
    assert bundle.json()["entry"][0]["resource"]["status"] == "amended"

    # Every read and change was audited, in the request's transaction.
    actions = list(
        db.scalars(
            select(AuditEvent.action).where(
                AuditEvent.resource_type == "note", AuditEvent.resource_id == note["id"]
            )
        )
    )
    assert {"create", "update", "sign", "read"} <= set(actions)


def test_the_database_refuses_to_change_a_signed_note(
    client: TestClient, world: World, db: Session
) -> None:
    headers = _as(client, world.users[Role.CLINICIAN])
    note = _draft(client, headers, _appointment(db, world)).json()
    assert client.post(f"/api/notes/{note['id']}/sign", headers=headers).status_code == 200
    # Positive control: a draft's sections can be written directly.
    other = _draft(client, headers, _appointment(db, world, days_ago=3)).json()
    db.execute(update(Note).where(Note.id == uuid.UUID(other["id"])).values(sections_ct=b"x"))
    with pytest.raises(DBAPIError), db.begin_nested():
        db.execute(
            update(Note).where(Note.id == uuid.UUID(note["id"])).values(sections_ct=b"tampered")
        )


def test_a_second_note_for_one_session_is_a_conflict(
    client: TestClient, world: World, db: Session
) -> None:
    headers = _as(client, world.users[Role.CLINICIAN])
    appointment = _appointment(db, world)
    assert _draft(client, headers, appointment).status_code == 201
    assert _draft(client, headers, appointment).status_code == 409


def test_bad_input_gets_a_message_a_person_can_act_on(
    client: TestClient, world: World, db: Session
) -> None:
    headers = _as(client, world.users[Role.CLINICIAN])
    wrong = _draft(client, headers, _appointment(db, world), template="narrative")
    assert wrong.status_code == 422
    assert "dap" in wrong.json()["error"]
    listed = client.get("/api/notes?cursor=garbage!", headers=headers)
    assert listed.status_code == 422
    assert "next" in listed.json()["error"]
    assert client.get("/api/notes?limit=0", headers=headers).status_code == 422


def test_list_pages_with_a_keyset_cursor_and_filters(
    client: TestClient, world: World, db: Session
) -> None:
    headers = _as(client, world.users[Role.CLINICIAN])
    ids = []
    for n in range(5):
        ids.append(_draft(client, headers, _appointment(db, world, days_ago=n)).json()["id"])
    client.post(f"/api/notes/{ids[0]}/sign", headers=headers)
    seen: list[str] = []
    url = f"/api/notes?client_id={world.own_client.id}&limit=2"
    while url:
        page = client.get(url, headers=headers).json()
        seen += [n["id"] for n in page["items"]]
        url = (
            f"/api/notes?client_id={world.own_client.id}&limit=2&cursor={page['next']}"
            if page["next"]
            else ""
        )
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))
    signed = client.get("/api/notes?status=signed", headers=headers).json()["items"]
    assert [n["id"] for n in signed] == [ids[0]]
    # Another clinician (not on the team) lists none of them and reads none of them.
    other = _as(client, world.other_clinician)
    assert client.get("/api/notes", headers=other).json()["items"] == []
    assert client.get(f"/api/notes/{ids[0]}", headers=other).status_code == 404


def _psychotherapy(client: TestClient, world: World) -> str:
    headers = _as(client, world.users[Role.CLINICIAN])
    created = client.post(
        f"/api/clients/{world.own_client.id}/psychotherapy-notes",
        json={"text": "My countertransference: protective; bring to supervision."},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == "psychotherapy"
    return str(created.json()["id"])


@pytest.mark.parametrize("role", [Role.CLINICAL_LEAD, Role.ADMIN, Role.COORDINATOR])
def test_psychotherapy_notes_are_404_to_everyone_but_their_author(
    client: TestClient, world: World, db: Session, role: Role
) -> None:
    note_id = _psychotherapy(client, world)
    # Positive control: the author reads it, and lists it among their own.
    author = _as(client, world.users[Role.CLINICIAN])
    assert client.get(f"/api/notes/{note_id}", headers=author).status_code == 200
    own = client.get("/api/notes?kind=psychotherapy", headers=author).json()["items"]
    assert [n["id"] for n in own] == [note_id]
    # Never in the progress list, never exported, even for the author.
    assert note_id not in [
        n["id"] for n in client.get("/api/notes", headers=author).json()["items"]
    ]
    assert client.get(f"/api/notes/{note_id}/fhir", headers=author).status_code == 404
    # The lead on the same care team, an admin, a coordinator: exactly like a missing note.
    db.add(
        CareTeam(
            organization_id=world.org.id,
            client_id=world.own_client.id,
            clinician_id=world.users[Role.CLINICAL_LEAD].id,
        )
    )
    db.flush()
    other = _as(client, world.users[role])
    hidden = client.get(f"/api/notes/{note_id}", headers=other)
    missing = client.get(f"/api/notes/{uuid.uuid4()}", headers=other)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"] == missing.json()["error"]
    listed = client.get("/api/notes?kind=psychotherapy", headers=other)
    if role is Role.CLINICAL_LEAD:
        assert listed.json()["items"] == []
    else:
        # Roles that read no notes at all: the list itself is not theirs (404, not 200 []).
        assert listed.status_code == 404
    assert (
        client.post(f"/api/notes/{note_id}/addenda", json={"text": "x"}, headers=other).status_code
        == 404
    )


def test_psychotherapy_notes_are_404_under_break_glass(
    client: TestClient, world: World, db: Session
) -> None:
    note_id = _psychotherapy(client, world)
    progress = _draft(
        client,
        {"X-CSRF-Token": sign_in(client, world.users[Role.CLINICIAN])},
        _appointment(db, world),
    ).json()["id"]
    db.add(
        BreakGlassGrant(
            organization_id=world.org.id,
            clinician_id=world.other_clinician.id,
            client_id=world.own_client.id,
            reason="Client called the crisis line tonight",
            granted_at=utcnow(),
            expires_at=utcnow() + timedelta(hours=1),
        )
    )
    db.flush()
    headers = _as(client, world.other_clinician)
    # Positive control: break-glass opens the progress note...
    assert client.get(f"/api/notes/{progress}", headers=headers).status_code == 200
    # ...but never the psychotherapy note, nor its existence in a list.
    assert client.get(f"/api/notes/{note_id}", headers=headers).status_code == 404
    assert client.get("/api/notes?kind=psychotherapy", headers=headers).json()["items"] == []


def test_a_trainees_note_waits_for_the_supervisors_cosignature(
    client: TestClient, world: World, db: Session
) -> None:
    trainee, supervisor = world.users[Role.CLINICIAN], create_staff(db, world.org, Role.CLINICIAN)
    db.execute(
        update(CareTeam)
        .where(CareTeam.client_id == world.own_client.id, CareTeam.clinician_id == trainee.id)
        .values(team_role="trainee")
    )
    db.add(
        CareTeam(
            organization_id=world.org.id,
            client_id=world.own_client.id,
            clinician_id=supervisor.id,
            team_role="supervisor",
        )
    )
    db.flush()
    headers = _as(client, trainee)
    note = _draft(client, headers, _appointment(db, world)).json()
    signed = client.post(f"/api/notes/{note['id']}/sign", headers=headers).json()
    assert signed["status"] == "awaiting_cosignature"
    assert signed["cosign_required"]
    # The trainee cannot co-sign their own note; the supervisor can.
    assert client.post(f"/api/notes/{note['id']}/cosign", headers=headers).status_code == 409
    sup = _as(client, supervisor)
    done = client.post(f"/api/notes/{note['id']}/cosign", headers=sup)
    assert done.status_code == 200
    assert done.json()["status"] == "signed"


def test_safety_plan_versions_and_the_clients_own_view(
    client: TestClient, world: World, db: Session
) -> None:
    headers = _as(client, world.users[Role.CLINICIAN])
    url = f"/api/clients/{world.own_client.id}/safety-plan"
    first = client.post(url, json={"steps": {"warning_signs": "Not sleeping"}}, headers=headers)
    assert first.status_code == 201
    assert first.json()["version"] == 1
    second = client.post(
        url, json={"steps": {"warning_signs": "Not sleeping", "coping": "Walk"}}, headers=headers
    )
    assert second.json()["version"] == 2
    assert [p["version"] for p in client.get(url, headers=headers).json()] == [2, 1]
    bad = client.post(url, json={"steps": {"step_seven": "x"}}, headers=headers)
    assert bad.status_code == 422
    assert "warning_signs" in bad.json()["error"]
    # The client sees their own plan in their space; another clinician sees nothing.
    mine = _as(client, world.client_user)
    page = client.get("/me/safety-plan", headers={**mine, "accept": "text/html"})
    assert page.status_code == 200
    assert "Walk" in page.text
    assert "Stanley" in page.text
    other = _as(client, world.other_clinician)
    assert client.get(url, headers=other).status_code == 404


# Clinicians quote the client's words; the reader is validated on a client's own words.
RISKY = 'Low mood. She said "I have a plan to kill myself with my pills this weekend."'


def test_risk_in_the_jottings_prompts_a_safety_plan_review(
    client: TestClient, world: World, db: Session
) -> None:
    headers = _as(client, world.users[Role.CLINICIAN])
    risky = _draft(
        client,
        headers,
        _appointment(db, world),
        jottings=RISKY,
    ).json()
    prompts = [s for sec in risky["sections"] for s in sec["sentences"] if s["prompt"]]
    assert prompts
    assert "safety plan" in prompts[0]["text"]
    assert prompts[0]["source"]["quote"] in RISKY
    # Jottings in the third person are read in the first person too; the quote stays hers.
    third = "She said she has a plan to kill herself with her pills this weekend."
    noted = _draft(client, headers, _appointment(db, world, days_ago=1), jottings=third).json()
    prompts = [s for sec in noted["sections"] for s in sec["sentences"] if s["prompt"]]
    assert [p["source"]["quote"] for p in prompts] == [third]
    calm = _draft(
        client,
        headers,
        _appointment(db, world, days_ago=2),
        jottings="Enjoyed the walk with her sister; sleeping better.",
    ).json()
    assert not [s for sec in calm["sections"] for s in sec["sentences"] if s["prompt"]]


def test_coordinators_cannot_draft_notes(client: TestClient, world: World, db: Session) -> None:
    headers = _as(client, world.users[Role.COORDINATOR])
    assert _draft(client, headers, _appointment(db, world)).status_code == 404
    assert db.scalar(select(text("count(*)")).select_from(Note)) == 0


def test_no_note_for_a_cancelled_or_future_session(
    client: TestClient, world: World, db: Session
) -> None:
    headers = _as(client, world.users[Role.CLINICIAN])
    cancelled = _appointment(db, world)
    cancelled.status = "cancelled"
    future = _appointment(db, world, days_ago=-3)
    db.flush()
    assert _draft(client, headers, cancelled).status_code == 409
    assert _draft(client, headers, future).status_code == 409


def test_an_erased_clients_notes_read_as_nothing(
    client: TestClient, world: World, db: Session
) -> None:
    from alongside.privacy.erasure import crypto_shred_client

    headers = _as(client, world.users[Role.CLINICIAN])
    note = _draft(client, headers, _appointment(db, world), jottings="Talked about her brother.")
    note_id = note.json()["id"]
    assert "brother" in note.text
    crypto_shred_client(db, world.own_client)
    db.expire_all()
    after = client.get(f"/api/notes/{note_id}", headers=headers)
    assert after.status_code == 200
    assert after.json()["sections"] == []
    assert "brother" not in after.text
    # Nothing more can be written for them.
    edit = client.post(f"/api/notes/{note_id}/sign", headers=headers)
    assert edit.status_code in (409, 422)
