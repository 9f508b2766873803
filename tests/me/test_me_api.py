"""The client's own API: export (FHIR, PDF), consents, progress, appointments, corrections,
and the rule that a client may call only /api/me/*, the session and their intake links."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.kit.time import utcnow
from alongside.models import (
    AuditEvent,
    Client,
    Note,
    NoteKind,
    NoteStatus,
    RiskReading,
    Role,
    Suggestion,
)
from alongside.privacy.consents import set_my_consent
from alongside.security.access import actor_for
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in
from tests.privacy.privacy_support import NOW, appointment, submitted_intake
from tests.security.test_security_role_matrix import endpoints

OWN = "Owncanarywords"
OTHER = "Othercanarywords"
OTHER_NAME = "Othercanaryname"


def _note(db: Session, world: World, kind: NoteKind, text: str) -> Note:
    note = Note(
        organization_id=world.org.id,
        client_id=world.own_client.id,
        author_id=world.users[Role.CLINICIAN].id,
        kind=kind,
        status=NoteStatus.SIGNED,
        template_id="soap",
        template_version="1",
        signed_at=NOW,
        signed_by_id=world.users[Role.CLINICIAN].id,
    )
    note.sections = json.dumps(
        [{"key": "s", "title": "Summary", "sentences": [{"text": text, "source": None}]}]
    )
    db.add(note)
    return note


@pytest.fixture
def records(db: Session, world: World) -> World:
    """Both clients with submitted intakes and appointments, each with canary words."""
    world.outside_client.given_name = OTHER_NAME
    submitted_intake(db, world.users[Role.CLINICIAN], world.own_client, words=f"{OWN} today")
    submitted_intake(db, world.other_clinician, world.outside_client, words=f"{OTHER} today")
    appointment(db, world.users[Role.CLINICIAN], world.own_client, reason="follow-up")
    appointment(db, world.other_clinician, world.outside_client, reason=f"{OTHER} reason")
    _note(db, world, NoteKind.PROGRESS, "Signedprogresscanary: we agreed a plan.")
    _note(db, world, NoteKind.PSYCHOTHERAPY, "Psychotherapycanary: my private process note.")
    db.flush()
    return world


def _decoded(bundle: dict[str, Any]) -> str:
    """The bundle's text with base64 attachments decoded, so canaries inside them are seen."""
    text = json.dumps(bundle)
    for entry in bundle["entry"]:
        for content in entry["resource"].get("content", []):
            text += base64.b64decode(content["attachment"]["data"]).decode("utf-8")
    return text


def test_export_is_a_valid_fhir_collection_of_my_record_only(
    client: TestClient, records: World, db: Session
) -> None:
    sign_in(client, records.client_user)
    response = client.get("/api/me/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = response.json()
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {
        "Patient",
        "QuestionnaireResponse",
        "Observation",
        "Appointment",
        "Consent",
        "AuditEvent",
        "DocumentReference",
        "Basic",
    } <= kinds
    observations = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    responses = {
        f"QuestionnaireResponse/{e['resource']['id']}"
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    }
    assert observations
    assert all(o["derivedFrom"][0]["reference"] in responses for o in observations)
    text = _decoded(bundle)
    assert OWN in text  # positive control: my own words are there
    assert "Signedprogresscanary" in text  # signed progress notes are exported
    assert "Psychotherapycanary" not in text  # psychotherapy notes never are
    assert str(records.own_client.given_name) in text
    for canary in (OTHER, OTHER_NAME, str(records.outside_client.id)):
        assert canary not in text
    assert "Psychotherapy notes" in text  # says what is left out
    db.expire_all()
    exported = db.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "export")
        .where(AuditEvent.client_id == records.own_client.id)
    )
    assert exported is not None


def test_export_pdf_is_a_pdf_with_my_name(client: TestClient, records: World) -> None:
    sign_in(client, records.client_user)
    response = client.get("/api/me/export.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    import io

    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert str(records.own_client.given_name) in text
    assert OWN in text
    assert OTHER not in text
    assert OTHER_NAME not in text
    assert "Not included" in text


def test_staff_subject_access_export_needs_a_reason_and_is_audited(
    client: TestClient, records: World, db: Session
) -> None:
    csrf = sign_in(client, records.users[Role.CLINICIAN])
    url = f"/api/clients/{records.own_client.id}/export"
    assert client.post(url, json={"reason": " "}, headers={"X-CSRF-Token": csrf}).status_code == 422
    made = client.post(
        url, json={"reason": "Subject access request of 2 March"}, headers={"X-CSRF-Token": csrf}
    )
    assert made.status_code == 200
    Bundle.model_validate(made.json())
    assert OTHER not in _decoded(made.json())
    outside = client.post(
        f"/api/clients/{records.outside_client.id}/export",
        json={"reason": "curious"},
        headers={"X-CSRF-Token": csrf},
    )
    assert outside.status_code == 404
    db.expire_all()
    event = db.scalar(select(AuditEvent).where(AuditEvent.resource_type == "subject_access_export"))
    assert event is not None
    assert event.purpose == "export"


def test_consents_list_withdraw_and_give_again(
    client: TestClient, records: World, db: Session
) -> None:
    csrf = sign_in(client, records.client_user)
    listed = client.get("/api/me/consents")
    assert listed.status_code == 200
    reading = next(c for c in listed.json() if c["purpose"] == "software_reading")
    assert set(reading) == {"purpose", "granted", "text_version", "decided_at"}
    assert reading["granted"] is True  # given in the intake
    withdrawn = client.put(
        "/api/me/consents/software_reading", json={"granted": False}, headers={"X-CSRF-Token": csrf}
    )
    assert withdrawn.status_code == 200
    assert withdrawn.json()["granted"] is False
    assert withdrawn.json()["text_version"] == "my-consents-en-1"
    again = client.put(
        "/api/me/consents/software_reading", json={"granted": True}, headers={"X-CSRF-Token": csrf}
    )
    assert again.json()["granted"] is True
    assert (
        client.put(
            "/api/me/consents/intake_processing",
            json={"granted": False},
            headers={"X-CSRF-Token": csrf},
        ).status_code
        == 422
    )
    assert (
        client.put(
            "/api/me/consents/nonsense", json={"granted": False}, headers={"X-CSRF-Token": csrf}
        ).status_code
        == 404
    )
    db.expire_all()
    changes = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.resource_type == "consent")
        .where(AuditEvent.action == "update")
        .where(AuditEvent.client_id == records.own_client.id)
    ).all()
    assert len(changes) >= 2


@pytest.mark.parametrize("withdraw", [False, True])
def test_withdrawing_the_reader_changes_the_next_intake(
    db: Session, world: World, withdraw: bool
) -> None:
    user = world.client_user

    def withdraw_now() -> None:
        if withdraw:
            set_my_consent(
                db,
                user,
                actor_for(db, user, utcnow()),
                "software_reading",
                False,
                NOW + timedelta(minutes=1),
            )

    outcome = submitted_intake(
        db,
        world.users[Role.CLINICIAN],
        world.own_client,
        words="I have been low.",
        reading=True,
        withdraw_before_submit=withdraw_now,
    )
    suggestion = db.get_one(Suggestion, outcome.suggestion_id)
    inputs = json.loads(str(suggestion.inputs))
    assert inputs["reader_consent"] is (not withdraw)
    readings = db.scalars(
        select(RiskReading).where(RiskReading.client_id == world.own_client.id)
    ).all()
    assert (len(readings) == 0) is withdraw
    # The clinic sees it: the case says a person must read the words.
    assert suggestion.needs_human_reading is withdraw or not withdraw


def test_progress_and_appointments(client: TestClient, records: World) -> None:
    sign_in(client, records.client_user)
    measures = client.get("/api/me/measures")
    assert measures.status_code == 200
    body = measures.json()
    titles = {m["instrument"] for m in body["measures"]}
    assert "phq9" in titles
    phq9 = next(m for m in body["measures"] if m["instrument"] == "phq9")
    assert "first score" in phq9["change"]
    assert phq9["reliable_change"] is False
    appointments = client.get("/api/me/appointments").json()
    assert len(appointments["upcoming"]) == 1
    assert OTHER not in json.dumps(appointments)


def test_corrections_are_decided_and_the_record_keeps_both(
    client: TestClient, records: World, db: Session
) -> None:
    csrf = sign_in(client, records.client_user)
    old_name = str(records.own_client.family_name)
    asked = client.post(
        "/api/me/corrections",
        json={"field": "family_name", "value": "Smith-Jones", "reason": "I married."},
        headers={"X-CSRF-Token": csrf},
    )
    assert asked.status_code == 201, asked.text
    bad = client.post(
        "/api/me/corrections",
        json={"field": "date_of_birth", "value": "yesterday"},
        headers={"X-CSRF-Token": csrf},
    )
    assert bad.status_code == 422
    csrf = sign_in(client, records.users[Role.CLINICIAN])
    pending = client.get("/api/corrections").json()
    assert [p["id"] for p in pending] == [asked.json()["id"]]
    decided = client.post(
        f"/api/corrections/{asked.json()['id']}/decision",
        json={"decision": "accepted", "reason": "Confirmed with the client."},
        headers={"X-CSRF-Token": csrf},
    )
    assert decided.status_code == 200
    kept = decided.json()
    assert kept["previous_value"] == old_name
    assert kept["requested_value"] == "Smith-Jones"
    assert kept["decision_reason"] == "Confirmed with the client."
    db.expire_all()
    assert db.get_one(Client, records.own_client.id).family_name == "Smith-Jones"
    csrf = sign_in(client, records.users[Role.COORDINATOR])
    assert client.get("/api/corrections").json() == []  # nothing pending any more


# Clients may call only /api/me/*, the session and their intake links ----------------------

CLIENT_API = ("/api/me/", "/api/session")


def test_a_client_reaches_no_api_route_outside_their_own_space(
    app: FastAPI, client: TestClient, records: World
) -> None:
    csrf = sign_in(client, records.client_user)
    headers = {"X-CSRF-Token": csrf, "accept": "application/json"}
    checked = reached = 0
    for endpoint in endpoints(app):
        if not endpoint.path.startswith("/api/") or endpoint.path.startswith(
            ("/api/docs", "/api/openapi.json")
        ):
            continue
        url = endpoint.url(records.own_client.id)
        kwargs: dict[str, Any] = {"headers": headers}
        if endpoint.method in ("POST", "PUT", "PATCH"):
            kwargs["json"] = {}
        if endpoint.path.startswith(CLIENT_API):
            if endpoint.method == "GET":
                # Positive control: the client's own routes answer.
                response = client.request(endpoint.method, url, **kwargs)
                assert response.status_code == 200, (endpoint, response.text)
                reached += 1
            continue
        response = client.request(endpoint.method, url, **kwargs)
        assert response.status_code == 404, (endpoint, response.status_code, response.text)
        checked += 1
    assert checked > 20
    assert reached >= 5


def test_staff_are_not_answered_on_the_clients_own_routes(
    client: TestClient, records: World
) -> None:
    sign_in(client, records.users[Role.CLINICIAN])
    for path in ("/api/me/measures", "/api/me/export", "/api/me/consents", "/api/me/appointments"):
        assert client.get(path).status_code == 404, path


def test_withdrawing_reminders_switches_every_reminder_channel_off(
    client: TestClient, records: World, db: Session
) -> None:
    from alongside.models import ClientPreference

    db.add(
        ClientPreference(
            client_id=records.own_client.id,
            organization_id=records.org.id,
            remind_email=True,
            remind_webhook=True,
        )
    )
    db.flush()
    csrf = sign_in(client, records.client_user)
    headers = {"X-CSRF-Token": csrf}
    # Positive control: another purpose leaves the reminder channels as they are.
    research = client.put("/api/me/consents/research", json={"granted": False}, headers=headers)
    assert research.status_code == 200
    db.expire_all()
    preference = db.get(ClientPreference, records.own_client.id)
    assert preference is not None
    assert (preference.remind_email, preference.remind_webhook) == (True, True)
    reminders = client.put("/api/me/consents/reminders", json={"granted": False}, headers=headers)
    assert reminders.status_code == 200
    db.expire_all()
    preference = db.get(ClientPreference, records.own_client.id)
    assert preference is not None
    assert (preference.remind_email, preference.remind_webhook) == (False, False)
