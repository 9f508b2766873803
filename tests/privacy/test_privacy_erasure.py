"""Erasure end to end: the client asks, the clinical lead decides with the retention rules in
view, and on approval every encrypted field of that client becomes unreadable (other clients
untouched), queued messages die, the login is erased, the audit chain records it and still
verifies, and the certificate says what was erased and what was kept."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alongside.audit.service import verify_stored_chain
from alongside.models import (
    AuditEvent,
    Client,
    ErasureRequest,
    OutboxMessage,
    OutboxStatus,
    Role,
    User,
)
from alongside.models.encrypted import ERASED, _fields
from alongside.privacy.erasure import _encrypted_models, _owner_column
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in
from tests.privacy.privacy_support import appointment, queued_reminder, submitted_intake

OWN_CANARY = "Canaryownwords"
OTHER_CANARY = "Canaryotherwords"


def encrypted_values(session: Session, client_id: uuid.UUID) -> dict[str, list[Any]]:
    """Every encrypted field of every row of the client, read through a fresh keyring."""
    values: dict[str, list[Any]] = {}
    for model in _encrypted_models():
        rows = session.scalars(select(model).where(_owner_column(model) == client_id)).all()
        for row in rows:
            for name in _fields(model):
                ciphertext = getattr(row, _fields(model)[name].column_attribute)
                if ciphertext is None:
                    continue
                values.setdefault(f"{model.__tablename__}.{name}", []).append(getattr(row, name))
    return values


def fresh(session_factory: sessionmaker[Session]) -> Session:
    """A new session (new keyring, nothing cached) on the test's transaction."""
    return session_factory()


@pytest.fixture
def records(db: Session, world: World) -> World:
    """Both clients of the organisation with a full record; the own client signs in."""
    clinician = world.users[Role.CLINICIAN]
    submitted_intake(db, clinician, world.own_client, words=f"{OWN_CANARY} I feel low.")
    submitted_intake(db, world.other_clinician, world.outside_client, words=f"{OTHER_CANARY}.")
    appointment(db, clinician, world.own_client, reason=f"{OWN_CANARY} follow-up")
    appointment(db, world.other_clinician, world.outside_client, reason=f"{OTHER_CANARY} review")
    queued_reminder(db, world.own_client, body=f"{OWN_CANARY} reminder")
    queued_reminder(db, world.outside_client, body=f"{OTHER_CANARY} reminder")
    db.flush()
    return world


def test_approved_erasure_shreds_the_client_and_nothing_else(
    app: Any,
    client: TestClient,
    records: World,
    db: Session,
    session_factory: sessionmaker[Session],
) -> None:
    world = records
    own_id, other_id = world.own_client.id, world.outside_client.id
    before = fresh(session_factory)
    own_before = encrypted_values(before, own_id)
    # Positive control: before erasure, the client's fields read back (intake words included).
    assert any(OWN_CANARY in str(v) for vs in own_before.values() for v in vs)
    assert not any(v == ERASED for vs in own_before.values() for v in vs)
    assert {"clients.given_name", "intakes.own_words", "outbox_messages.body"} <= set(own_before)
    other_before = encrypted_values(before, other_id)
    before.close()

    sign_in(client, world.client_user)
    asked = client.post(
        "/api/me/erasure-requests",
        headers={"X-CSRF-Token": sign_in(client, world.client_user)},
    )
    assert asked.status_code == 202, asked.text
    body = asked.json()
    assert body["status"] == "pending"
    certificate_url = body["certificate_url"]
    pending = client.get(certificate_url, headers={"accept": "application/json"})
    assert pending.json()["status"] == "pending"

    lead = world.users[Role.CLINICAL_LEAD]
    csrf = sign_in(client, lead)
    listed = client.get("/api/erasure-requests")
    assert listed.status_code == 200
    [entry] = listed.json()
    assert entry["id"] == body["id"]
    mental_health = next(r for r in entry["retention"] if r["record_type"] == "clinical_record")
    assert mental_health["source"]  # the legal source is in view
    decided = client.post(
        f"/api/erasure-requests/{body['id']}/decision",
        json={"decision": "approved", "reason": "Client asked; no legal hold applies."},
        headers={"X-CSRF-Token": csrf},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"

    after = fresh(session_factory)
    own_after = encrypted_values(after, own_id)
    # Everything of theirs stays as unreadable ciphertext, except their login: that row is
    # deleted outright (its encrypted email and name with it).
    assert {k for k in own_before if k.startswith("users.")} == {
        "users.login_email",
        "users.login_name",
    }
    assert own_after.keys() == {k for k in own_before if not k.startswith("users.")}
    assert all(v == ERASED for vs in own_after.values() for v in vs), own_after
    assert encrypted_values(after, other_id) == other_before  # other clients untouched
    erased_client = after.get_one(Client, own_id)
    assert erased_client.status == "erased"
    assert erased_client.email_index is None
    assert after.scalar(select(User).where(User.client_id == own_id)) is None  # login erased
    statuses = {m.client_id: m.status for m in after.scalars(select(OutboxMessage)).all()}
    assert statuses[own_id] is OutboxStatus.DEAD
    assert statuses[other_id] is OutboxStatus.PENDING
    erase_event = after.scalar(
        select(AuditEvent).where(AuditEvent.action == "erase").where(AuditEvent.client_id == own_id)
    )
    assert erase_event is not None
    assert erase_event.actor_name == lead.display_name
    for column in ("actor_name", "resource_type", "resource_id", "purpose"):
        assert OWN_CANARY not in str(getattr(erase_event, column))
    assert verify_stored_chain(after).ok
    after.close()

    # The requester's link now shows the certificate, without signing in.
    client.cookies.clear()
    certificate = client.get(certificate_url, headers={"accept": "application/json"}).json()
    assert certificate["status"] == "approved"
    kept = certificate["certificate"]["kept"]
    assert any("access log" in k["what"].lower() for k in kept)
    assert all(k["why"] for k in kept)
    erased = {e["record_type"] for e in certificate["certificate"]["erased"]}
    assert {"contact_details", "clinical_record", "appointments", "messages"} <= erased
    assert certificate["certificate"]["login_erased"] is True
    assert certificate["certificate"]["messages_cancelled"] == 1
    page = client.get(certificate_url, headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "What was kept, and why" in page.text
    assert OWN_CANARY not in page.text


def test_declined_erasure_changes_nothing_and_says_why(
    client: TestClient, records: World, session_factory: sessionmaker[Session]
) -> None:
    world = records
    staff = world.users[Role.CLINICIAN]
    csrf = sign_in(client, staff)
    asked = client.post(
        f"/api/clients/{world.own_client.id}/erasure-requests", headers={"X-CSRF-Token": csrf}
    )
    assert asked.status_code == 202, asked.text
    lead_csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    reason = "Treatment ended this year: records are kept for 20 years (NHS code)."
    decided = client.post(
        f"/api/erasure-requests/{asked.json()['id']}/decision",
        json={"decision": "declined", "reason": reason},
        headers={"X-CSRF-Token": lead_csrf},
    )
    assert decided.json()["status"] == "declined"
    session = session_factory()
    assert OWN_CANARY in str(encrypted_values(session, world.own_client.id))
    request = session.get_one(ErasureRequest, uuid.UUID(asked.json()["id"]))
    assert request.certificate is not None
    assert request.certificate["erased"] == []
    assert request.decision_reason == reason
    # Deciding twice is a conflict, not a second erasure.
    again = client.post(
        f"/api/erasure-requests/{asked.json()['id']}/decision",
        json={"decision": "approved", "reason": "second try"},
        headers={"X-CSRF-Token": lead_csrf},
    )
    assert again.status_code == 409


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.COORDINATOR, Role.ADMIN, Role.CLIENT])
def test_only_the_clinical_lead_decides(client: TestClient, records: World, role: Role) -> None:
    world = records
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    asked = client.post(
        f"/api/clients/{world.own_client.id}/erasure-requests", headers={"X-CSRF-Token": csrf}
    )
    request_id = asked.json()["id"]
    csrf = sign_in(client, world.users[role])
    refused = client.post(
        f"/api/erasure-requests/{request_id}/decision",
        json={"decision": "approved", "reason": "x"},
        headers={"X-CSRF-Token": csrf},
    )
    missing = client.post(
        f"/api/erasure-requests/{uuid.uuid4()}/decision",
        json={"decision": "approved", "reason": "x"},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == missing.status_code == 404
    assert refused.json()["error"] == missing.json()["error"]


def test_a_decision_needs_a_reason(client: TestClient, records: World) -> None:
    world = records
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    request_id = client.post(
        f"/api/clients/{world.own_client.id}/erasure-requests", headers={"X-CSRF-Token": csrf}
    ).json()["id"]
    csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    blank = client.post(
        f"/api/erasure-requests/{request_id}/decision",
        json={"decision": "approved", "reason": "   "},
        headers={"X-CSRF-Token": csrf},
    )
    assert blank.status_code == 422
    assert "reason" in blank.json()["error"]


def test_a_second_pending_request_is_a_conflict(client: TestClient, records: World) -> None:
    csrf = sign_in(client, records.client_user)
    assert (
        client.post("/api/me/erasure-requests", headers={"X-CSRF-Token": csrf}).status_code == 202
    )
    second = client.post("/api/me/erasure-requests", headers={"X-CSRF-Token": csrf})
    assert second.status_code == 409


def test_an_unknown_certificate_link_is_not_found(client: TestClient) -> None:
    assert client.get("/erasure-certificates/nothing-here").status_code == 404
