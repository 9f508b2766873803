"""FHIR AuditEvent export, the audit API for the clinical lead and a client's own access log."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alongside.audit.fhir import audit_event_bundle, to_fhir_audit_event
from alongside.audit.sealer import checkpoint_key, seal_batch
from alongside.audit.service import record
from alongside.models import AuditEvent, Role, User
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in

T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
HTML = {"Accept": "text/html"}


def audit(db: Session, actor: User | None, client_id: uuid.UUID | None, **kw: Any) -> AuditEvent:
    values: dict[str, Any] = {
        "action": "read",
        "resource_type": "client",
        "resource_id": client_id,
        "purpose": "treatment",
        "outcome": "success",
        "now": T0,
        "organization_id": actor.organization_id if actor is not None else None,
    }
    values.update(kw)
    return record(db, actor=actor, client_id=client_id, **values)


def events_since(db: Session, after: int) -> list[AuditEvent]:
    db.expire_all()
    return list(
        db.scalars(
            select(AuditEvent)
            .where(AuditEvent.insert_order > after)
            .order_by(AuditEvent.insert_order)
        )
    )


def last_sequence(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.max(AuditEvent.insert_order))) or 0


# FHIR mapping -------------------------------------------------------------------------------


def test_a_read_by_a_clinician_maps_to_a_validated_fhir_audit_event(
    db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    event = audit(db, clinician, world.own_client.id, request_id="req-fhir-1")
    unsealed = {
        d["type"]: d["valueString"] for d in to_fhir_audit_event(event)["entity"][1]["detail"]
    }
    # Before sealing it has no place in the chain yet; after, its sequence and hashes.
    assert unsealed == {"insert_order": str(event.insert_order), "request_id": "req-fhir-1"}
    assert seal_batch(db, checkpoint_key("a test secret key, long enough")) is not None
    db.refresh(event)
    resource = to_fhir_audit_event(event)
    FhirAuditEvent.model_validate(resource)
    assert resource["resourceType"] == "AuditEvent"
    assert resource["id"] == str(event.id)
    assert resource["type"]["code"] == "rest"
    assert {"system": "http://hl7.org/fhir/restful-interaction", "code": "read"} in resource[
        "subtype"
    ]
    assert resource["action"] == "R"
    assert resource["outcome"] == "0"
    assert resource["recorded"].startswith("2026-03-02T09:30:00")
    purpose_codes = {c["code"] for c in resource["purposeOfEvent"][0]["coding"]}
    assert purpose_codes == {"TREAT", "treatment"}
    agent = resource["agent"][0]
    assert agent["name"] == clinician.display_name
    assert agent["requestor"] is True
    assert agent["who"]["identifier"]["value"] == str(clinician.id)
    patient = resource["entity"][0]
    assert patient["what"]["reference"] == f"Patient/{world.own_client.id}"
    assert patient["role"]["code"] == "1"
    details = {d["type"]: d["valueString"] for d in resource["entity"][1]["detail"]}
    assert details == {
        "insert_order": str(event.insert_order),
        "sequence": str(event.sequence),
        "hash": event.hash,
        "previous_hash": event.previous_hash,
        "request_id": "req-fhir-1",
    }


@pytest.mark.parametrize(
    ("action", "purpose", "outcome", "type_code", "crude", "fhir_outcome"),
    [
        ("sign_in", "security", "success", "110114", "E", "0"),
        ("break_glass", "emergency", "success", "rest", "R", "0"),
        ("update", "treatment", "refused", "rest", "U", "4"),
        ("export", "export", "error", "rest", "R", "8"),
        ("create", "operations", "success", "rest", "C", "0"),
        ("erase", "client_access", "success", "rest", "D", "0"),
    ],
)
def test_every_action_purpose_and_outcome_maps_and_validates(
    db: Session,
    world: World,
    action: str,
    purpose: str,
    outcome: str,
    type_code: str,
    crude: str,
    fhir_outcome: str,
) -> None:
    event = audit(
        db,
        world.users[Role.CLINICAL_LEAD],
        world.own_client.id,
        action=action,
        purpose=purpose,
        outcome=outcome,
    )
    resource = to_fhir_audit_event(event)
    assert resource["type"]["code"] == type_code
    assert resource["action"] == crude
    assert resource["outcome"] == fhir_outcome
    assert (resource.get("outcomeDesc") is None) == (outcome == "success")


def test_the_system_actor_without_a_client_maps_too(db: Session) -> None:
    event = record(
        db,
        actor=None,
        action="list",
        resource_type="outbox_message",
        resource_id=None,
        client_id=None,
        organization_id=None,
        purpose="operations",
        outcome="success",
        now=T0,
    )
    resource = to_fhir_audit_event(event)
    assert resource["agent"][0]["requestor"] is False
    assert "who" not in resource["agent"][0]
    assert [e.get("what") for e in resource["entity"]] == [None]
    bundle = audit_event_bundle([event])
    Bundle.model_validate(bundle)
    assert bundle["total"] == 1
    assert audit_event_bundle([]) == {"resourceType": "Bundle", "type": "searchset", "total": 0}


# GET /api/audit/events -------------------------------------------------------------------------


def test_the_clinical_lead_gets_a_fhir_bundle_of_one_clients_events(
    client: TestClient, db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    mine = audit(db, clinician, world.own_client.id)
    audit(db, world.other_clinician, world.outside_client.id)
    foreign = audit(db, None, world.foreign_client.id, organization_id=world.other_org.id)
    db.flush()
    lead = world.users[Role.CLINICAL_LEAD]
    sign_in(client, lead)
    before = last_sequence(db)

    response = client.get("/api/audit/events", params={"client_id": str(world.own_client.id)})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = response.json()
    Bundle.model_validate(bundle)
    ids = [entry["resource"]["id"] for entry in bundle["entry"]]
    assert str(mine.id) in ids
    assert bundle["total"] == len(ids)
    for entry in bundle["entry"]:
        assert entry["resource"]["entity"][0]["what"]["reference"] == (
            f"Patient/{world.own_client.id}"
        )
    # Another organisation's events are never exported, even asked for by client id.
    response = client.get("/api/audit/events", params={"client_id": str(world.foreign_client.id)})
    assert response.status_code == 200
    assert str(foreign.id) not in response.text
    assert response.json()["total"] == 0
    # Both exports were themselves audited.
    searches = [e for e in events_since(db, before) if e.resource_type == "audit_event"]
    assert [(e.actor_id, e.action, e.outcome) for e in searches] == [
        (lead.id, "search", "success"),
        (lead.id, "search", "success"),
    ]
    assert searches[0].client_id == world.own_client.id


def test_the_newest_events_come_first_and_limit_applies(
    client: TestClient, db: Session, world: World
) -> None:
    for _ in range(3):
        audit(db, world.users[Role.CLINICIAN], world.own_client.id)
    db.flush()
    sign_in(client, world.users[Role.CLINICAL_LEAD])
    bundle = client.get("/api/audit/events", params={"limit": 2}).json()
    sequences = [  # the order they were written in (sealed or not yet)
        int(
            next(
                d["valueString"]
                for d in e["resource"]["entity"][-1]["detail"]
                if d["type"] == "insert_order"
            )
        )
        for e in bundle["entry"]
    ]
    assert len(sequences) == 2
    assert sequences == sorted(sequences, reverse=True)
    assert client.get("/api/audit/events", params={"limit": 0}).status_code == 422
    assert client.get("/api/audit/events", params={"client_id": "nope"}).status_code == 422


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.COORDINATOR, Role.ADMIN, Role.CLIENT])
def test_roles_without_audit_read_get_the_unknown_address_404_and_the_refusal_is_audited(
    client: TestClient, db: Session, world: World, role: Role
) -> None:
    audit(db, world.users[Role.CLINICIAN], world.own_client.id)
    db.flush()
    user = world.users[role]
    sign_in(client, user)
    unknown = client.get("/api/no-such-address")
    before = last_sequence(db)
    response = client.get("/api/audit/events", params={"client_id": str(world.own_client.id)})
    assert response.status_code == 404
    assert response.json()["error"] == unknown.json()["error"]
    assert "Patient/" not in response.text
    refusals = [e for e in events_since(db, before) if e.resource_type == "audit_event"]
    assert [(e.actor_id, e.outcome, e.client_id) for e in refusals] == [
        (user.id, "refused", world.own_client.id)
    ]


def test_without_a_session_the_audit_api_and_access_log_answer_401(client: TestClient) -> None:
    assert client.get("/api/audit/events").status_code == 401
    assert client.get("/api/me/access-log").status_code == 401
    page = client.get("/me/access-log", headers=HTML, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login"


# A client's own access log ---------------------------------------------------------------------


def seed_accesses(db: Session, world: World) -> dict[str, AuditEvent]:
    clinician = world.users[Role.CLINICIAN]
    events = {
        "treatment": audit(db, clinician, world.own_client.id),
        "emergency": audit(
            db,
            world.other_clinician,
            world.own_client.id,
            action="break_glass",
            purpose="emergency",
        ),
        "refused": audit(
            db,
            world.users[Role.COORDINATOR],
            world.own_client.id,
            action="read",
            resource_type="note",
            purpose="operations",
            outcome="refused",
        ),
        "system": audit(
            db,
            None,
            world.own_client.id,
            action="create",
            resource_type="score",
            organization_id=world.org.id,
            purpose="operations",
        ),
        "other client": audit(db, world.other_clinician, world.outside_client.id),
        "other org": audit(db, None, world.foreign_client.id, organization_id=world.other_org.id),
    }
    db.flush()
    return events


def test_a_client_sees_who_when_why_and_what_for_their_own_record_only(
    client: TestClient, db: Session, world: World
) -> None:
    seeded = seed_accesses(db, world)
    sign_in(client, world.client_user)
    before = last_sequence(db)
    response = client.get("/api/me/access-log")
    assert response.status_code == 200, response.text
    log = response.json()
    entries = log["entries"]
    assert log["total"] == len(entries) >= 4
    by_who = {(e["who"], e["role"], e["what"], e["why"]) for e in entries}
    clinician = world.users[Role.CLINICIAN]
    assert (
        clinician.display_name,
        "Clinician",
        "Viewed your record",
        "To provide your care",
    ) in by_who
    assert any(
        e["who"] == world.other_clinician.display_name
        and e["purpose"] == "emergency"
        and "emergency" in e["why"].lower()
        for e in entries
    )
    assert any(e["outcome"] == "refused" and "refused" in e["what"] for e in entries)
    assert any(e["who"] == "Alongside" and e["role"] == "Automatic (no person)" for e in entries)
    whens = [dt.datetime.fromisoformat(e["when"]) for e in entries]
    assert all(w.tzinfo is not None for w in whens)
    # Never another client's or another organisation's events.
    text = response.text
    assert str(world.outside_client.id) not in text
    assert str(seeded["other client"].id) not in text
    assert len([e for e in entries if e["who"] == world.other_clinician.display_name]) == 1
    # Reading the log is itself audited, as the client, for their own record.
    reads = [e for e in events_since(db, before) if e.resource_type == "access_log"]
    assert [(e.actor_id, e.action, e.client_id, e.purpose) for e in reads] == [
        (world.client_user.id, "read", world.own_client.id, "client_access")
    ]
    # The client's own actions are left out unless asked for, and then say "You".
    assert all(e["who"] != "You" for e in entries)
    with_own = client.get("/api/me/access-log", params={"include_own": "true"}).json()
    assert with_own["include_own"] is True
    assert any(
        e["who"] == "You" and e["what"] == "Viewed this access log" for e in with_own["entries"]
    )


def test_access_log_paging(client: TestClient, db: Session, world: World) -> None:
    for _ in range(5):
        audit(db, world.users[Role.CLINICIAN], world.own_client.id)
    db.flush()
    sign_in(client, world.client_user)
    first = client.get("/api/me/access-log", params={"limit": 2}).json()
    second = client.get("/api/me/access-log", params={"limit": 2, "offset": 2}).json()
    assert len(first["entries"]) == len(second["entries"]) == 2
    assert first["entries"][0]["when"] >= second["entries"][0]["when"]
    assert client.get("/api/me/access-log", params={"limit": 501}).status_code == 422


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.COORDINATOR, Role.CLINICAL_LEAD, Role.ADMIN])
def test_staff_have_no_access_log_of_their_own(
    client: TestClient, world: World, role: Role
) -> None:
    sign_in(client, world.users[role])
    unknown = client.get("/api/no-such-address")
    response = client.get("/api/me/access-log")
    assert response.status_code == 404
    assert response.json()["error"] == unknown.json()["error"]
    assert client.get("/me/access-log", headers=HTML).status_code == 404


def test_the_access_log_page_lists_the_same_in_plain_language_without_javascript(
    client: TestClient, db: Session, world: World
) -> None:
    seed_accesses(db, world)
    sign_in(client, world.client_user)
    before = last_sequence(db)
    page = client.get("/me/access-log", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<h1>Who has looked at your record</h1>" in html
    assert world.users[Role.CLINICIAN].display_name in html
    assert "To provide your care" in html
    assert "Viewed your record" in html
    assert '<table class="table">' in html
    assert '<th scope="col">Why</th>' in html
    # A plain link, not a script, switches the view.
    assert 'href="/me/access-log?own=true"' in html
    assert "hx-" not in html.split("<main", 1)[1]
    assert str(world.outside_client.id) not in html
    reads = [e for e in events_since(db, before) if e.resource_type == "access_log"]
    assert len(reads) == 1
    own = client.get("/me/access-log?own=true", headers=HTML).text
    assert "Viewed this access log" in own
    assert 'href="/me/access-log"' in own


def test_the_audit_export_pages_through_a_next_link(
    client: TestClient, db: Session, world: World
) -> None:
    for _ in range(5):
        audit(db, world.users[Role.CLINICIAN], world.own_client.id)
    db.flush()
    sign_in(client, world.users[Role.CLINICAL_LEAD])
    params = {"client_id": str(world.own_client.id)}
    seen: list[str] = []
    pages = 0
    url: str | None = "/api/audit/events?" + f"client_id={world.own_client.id}&limit=2"
    while url:
        bundle = client.get(url).json()
        Bundle.model_validate(bundle)
        pages += 1
        seen += [entry["resource"]["id"] for entry in bundle.get("entry", [])]
        links = [link["url"] for link in bundle.get("link", []) if link["relation"] == "next"]
        url = links[0] if links else None
    whole = client.get("/api/audit/events", params={**params, "limit": 200}).json()
    assert "link" not in whole
    # Every page's own search was audited (about this client) after it was read: those are
    # the newest events now, and no page listed another page's search.
    expected = [entry["resource"]["id"] for entry in whole["entry"]][pages:]
    assert seen == expected
    assert len(seen) >= 5
    forged = client.get("/api/audit/events", params={**params, "cursor": "e30.AAAA"})
    assert forged.status_code == 422
