"""The de-identified quality export: no canary identifier survives (names, emails, record ids,
free text, true dates), small cells are suppressed, declined research consent is respected."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from alongside.measures.demo import _score
from alongside.models import Client, Consent, Role
from tests.fixtures.factories import World, create_client
from tests.fixtures.web import sign_in

BASE = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def test_quality_export_keeps_no_identity_and_suppresses_small_cells(
    client: TestClient, world: World, db: Session
) -> None:
    clients: list[Client] = []
    for n in range(6):
        person = create_client(
            db,
            world.org,
            given_name=f"Qualitycanary{n}",
            family_name=f"Familycanary{n}",
            email=f"qualitycanary{n}@example.org",
            phone=f"+44 7700 90012{n}",
        )
        clients.append(person)
        for week in range(3):
            db.add(_score(person, "phq9", 10 - week, BASE + timedelta(weeks=week, days=n)))
    # Only two clients answered the GAD-7: a small cell.
    for person in clients[:2]:
        db.add(_score(person, "gad7", 8, BASE))
    # One client declined research use.
    db.add(
        Consent(
            organization_id=world.org.id,
            client_id=clients[5].id,
            purpose="research",
            granted=False,
            text_version="my-consents-en-1",
            recorded_at=BASE,
        )
    )
    db.flush()
    csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    response = client.get("/api/quality/export", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200, response.text
    body = response.json()
    text = json.dumps(body)
    phq9 = [m for m in body["measures"] if m["instrument"] == "phq9"]
    assert len(phq9) == 15  # positive control: five consenting clients, three measures each
    assert {m["subject"] for m in phq9} == {
        m["subject"] for m in phq9 if m["subject"].startswith("S")
    }
    assert not [m for m in body["measures"] if m["instrument"] == "gad7"]
    gad7 = [s for s in body["summary"] if s["instrument"] == "gad7"]
    assert gad7
    assert all(s["suppressed"] and s["clients"] is None for s in gad7)
    for person in clients:
        for canary in (
            str(person.given_name),
            str(person.family_name),
            str(person.email),
            str(person.phone),
            str(person.id),
        ):
            assert canary not in text
    # No subject's dates are any client's true dates (every shift is 7 to 60 days).
    true_series = [
        {(BASE + timedelta(weeks=w, days=n)).date().isoformat() for w in range(3)} for n in range(6)
    ]
    by_subject: dict[str, set[str]] = {}
    for m in phq9:
        by_subject.setdefault(m["subject"], set()).add(m["date"])
    assert len(by_subject) == 5
    for dates in by_subject.values():
        assert dates not in true_series
    # Intervals within a client survive the shift.
    first = sorted(m["date"] for m in phq9 if m["subject"] == phq9[0]["subject"])
    gaps = {
        (datetime.fromisoformat(b) - datetime.fromisoformat(a)).days
        for a, b in itertools.pairwise(first)
    }
    assert gaps == {7}


def test_only_the_clinical_lead_gets_the_quality_export(client: TestClient, world: World) -> None:
    for role in (Role.CLINICIAN, Role.COORDINATOR, Role.ADMIN, Role.CLIENT):
        sign_in(client, world.users[role])
        assert client.get("/api/quality/export").status_code == 404, role
