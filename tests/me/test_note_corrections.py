"""A client reads their signed notes and asks for a correction of one (GDPR Art. 16, HIPAA
45 CFR 164.526); the care team accepts it as a signed addendum or declines it with a reason,
and the note keeps the request either way. The export carries the safety plan."""

from __future__ import annotations

import json
import uuid

from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.kit.time import utcnow
from alongside.models import Note, NoteAddendum, NoteKind, NoteStatus, Role
from alongside.notes import safety, service
from alongside.security.access import actor_for
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in
from tests.me.test_me_api import _note, records  # noqa: F401 - the fixture is used by name

WANTED = "Correctioncanary: I started the job in February, not March."


def _progress_note(db: Session, records: World) -> Note:  # noqa: F811 - fixture name
    """The clinician's signed progress note for the client, written through the services
    (the `records` fixture's own note is replaced: it has no sources, as a real one has)."""
    existing = db.scalars(
        select(Note)
        .where(Note.client_id == records.own_client.id)
        .where(Note.kind == NoteKind.PROGRESS)
        .where(Note.template_id == "dap")
    ).first()
    if existing is not None:
        return existing
    for row in db.scalars(
        select(Note)
        .where(Note.client_id == records.own_client.id)
        .where(Note.kind == NoteKind.PROGRESS)
    ):
        db.delete(row)
    clinician = records.users[Role.CLINICIAN]
    actor = actor_for(db, clinician, utcnow())
    note = service.draft_ad_hoc(
        db,
        user=clinician,
        actor=actor,
        client_id=records.own_client.id,
        template_id="dap",
        jottings="Signedprogresscanary: talked about the new job.\nP: sleep diary.",
        now=utcnow(),
    )
    service.sign_note(db, user=clinician, actor=actor, note_id=note.id, now=utcnow())
    db.flush()
    return note


def _ask(client: TestClient, csrf: str, note_id: uuid.UUID | str, value: str = WANTED) -> object:
    return client.post(
        "/api/me/corrections",
        json={"field": "note", "note_id": str(note_id), "value": value, "reason": "Wrong month."},
        headers={"X-CSRF-Token": csrf},
    )


def test_a_client_reads_their_signed_notes_only(
    client: TestClient,
    records: World,  # noqa: F811
    db: Session,
) -> None:
    _progress_note(db, records)
    other = _note(db, records, NoteKind.PROGRESS, "Othernotecanary")
    other.client_id = records.outside_client.id
    draft = _note(db, records, NoteKind.PROGRESS, "Draftnotecanary")
    draft.status = NoteStatus.DRAFT
    db.flush()
    sign_in(client, records.client_user)
    response = client.get("/api/me/notes")
    assert response.status_code == 200
    text = response.text
    assert "Signedprogresscanary" in text  # positive control: their signed note
    for hidden in ("Psychotherapycanary", "Othernotecanary", "Draftnotecanary"):
        assert hidden not in text
    page = client.get("/me/notes")
    assert page.status_code == 200
    assert "Signedprogresscanary" in page.text
    assert "Psychotherapycanary" not in page.text
    # Staff have their own pages for notes; the client's list is not theirs.
    sign_in(client, records.users[Role.CLINICIAN])
    assert client.get("/api/me/notes").status_code == 404


def test_only_the_clients_own_signed_progress_notes_can_be_named(
    client: TestClient,
    records: World,  # noqa: F811
    db: Session,
) -> None:
    signed = _progress_note(db, records)
    psychotherapy = db.scalars(select(Note).where(Note.kind == NoteKind.PSYCHOTHERAPY)).one()
    other = _note(db, records, NoteKind.PROGRESS, "Othernotecanary")
    other.client_id = records.outside_client.id
    draft = _note(db, records, NoteKind.PROGRESS, "Draftnotecanary")
    draft.status = NoteStatus.DRAFT
    db.flush()
    csrf = sign_in(client, records.client_user)
    for note_id in (psychotherapy.id, other.id, draft.id, uuid.uuid4()):
        assert _ask(client, csrf, note_id).status_code == 404  # type: ignore[attr-defined]
    empty = _ask(client, csrf, signed.id, value="  ")
    assert empty.status_code == 422  # type: ignore[attr-defined]
    assert "What should change" in empty.text  # type: ignore[attr-defined]
    ok = _ask(client, csrf, _progress_note(db, records).id)
    assert ok.status_code == 201  # type: ignore[attr-defined]
    assert ok.json()["note_id"] == str(_progress_note(db, records).id)  # type: ignore[attr-defined]


def test_an_accepted_note_correction_is_a_signed_addendum_and_the_note_is_not_rewritten(
    client: TestClient,
    records: World,  # noqa: F811
    db: Session,
) -> None:
    note = _progress_note(db, records)
    sections_before = note.section_list
    csrf = sign_in(client, records.client_user)
    asked = _ask(client, csrf, note.id).json()  # type: ignore[attr-defined]
    # The coordinator may correct details but not notes: the request is not theirs to decide.
    csrf = sign_in(client, records.users[Role.COORDINATOR])
    assert client.get("/api/corrections").json() == []
    refused = client.post(
        f"/api/corrections/{asked['id']}/decision",
        json={"decision": "accepted", "reason": "Not mine to decide."},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 404
    # The clinician on the care team decides it.
    csrf = sign_in(client, records.users[Role.CLINICIAN])
    assert [c["id"] for c in client.get("/api/corrections").json()] == [asked["id"]]
    decided = client.post(
        f"/api/corrections/{asked['id']}/decision",
        json={"decision": "accepted", "reason": "Checked the referral letter: February."},
        headers={"X-CSRF-Token": csrf},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "accepted"
    db.expire_all()
    addenda = list(db.scalars(select(NoteAddendum).where(NoteAddendum.note_id == note.id)))
    assert len(addenda) == 1
    assert WANTED in str(addenda[0].text)
    assert "Checked the referral letter" in str(addenda[0].text)
    assert addenda[0].author_id == records.users[Role.CLINICIAN].id
    assert db.get_one(Note, note.id).section_list == sections_before
    page = client.get(f"/notes/{note.id}")
    assert "Corrections the client asked for" in page.text
    assert "Accepted on" in page.text
    # The client sees the addendum and the decision.
    sign_in(client, records.client_user)
    mine = client.get("/api/me/notes").json()
    assert WANTED in mine[0]["addenda"][0]["text"]
    assert mine[0]["corrections"][0]["status"] == "accepted"


def test_a_declined_note_correction_stays_linked_to_the_note_with_its_reason(
    client: TestClient,
    records: World,  # noqa: F811
    db: Session,
) -> None:
    note = _progress_note(db, records)
    csrf = sign_in(client, records.client_user)
    page = client.post(
        f"/me/notes/{note.id}/corrections",
        data={"value": WANTED, "reason": "", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert page.status_code == 303
    asked = client.get("/api/me/corrections").json()[0]
    assert asked["note_id"] == str(note.id)
    csrf = sign_in(client, records.users[Role.CLINICIAN])
    rights = client.get("/privacy")
    assert "a correction of" in rights.text
    assert WANTED in rights.text
    decided = client.post(
        f"/api/corrections/{asked['id']}/decision",
        json={"decision": "declined", "reason": "The client's own letter says March."},
        headers={"X-CSRF-Token": csrf},
    )
    assert decided.status_code == 200
    db.expire_all()
    assert db.scalars(select(NoteAddendum).where(NoteAddendum.note_id == note.id)).all() == []
    shown = client.get(f"/notes/{note.id}").text
    assert "Declined on" in shown
    assert "letter says March" in shown
    sign_in(client, records.client_user)
    mine = client.get("/me/notes").text
    assert "not made" in mine
    assert "letter says March" in mine


def test_the_export_holds_every_safety_plan_version_and_the_corrections(
    client: TestClient,
    records: World,  # noqa: F811
    db: Session,
) -> None:
    clinician = records.users[Role.CLINICIAN]
    for words in ("Firstplancanary walk", "Secondplancanary call my sister"):
        safety.save_safety_plan(
            db,
            user=clinician,
            actor=actor_for(db, clinician, utcnow()),
            client_id=records.own_client.id,
            steps={"coping": words},
            now=utcnow(),
        )
    db.flush()
    csrf = sign_in(client, records.client_user)
    _ask(client, csrf, _progress_note(db, records).id)
    bundle = client.get("/api/me/export").json()
    Bundle.model_validate(bundle)
    plans = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan"]
    assert sorted(p["status"] for p in plans) == ["active", "revoked"]
    active = next(p for p in plans if p["status"] == "active")
    assert "Secondplancanary" in json.dumps(active)
    pdf = client.get("/api/me/export.pdf")
    assert pdf.status_code == 200
    from io import BytesIO

    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    assert "Your safety plan" in text
    assert "Secondplancanary" in text
    assert "Corrections you asked for" in text
    assert "Correctioncanary" in text
