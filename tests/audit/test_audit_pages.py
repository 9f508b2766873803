"""The clinical lead's audit viewer without a browser: filters, refusals in words, and the
verify button (the browser flow is in tests/test_browser_audit.py)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from alongside.audit.service import record
from alongside.kit.time import utcnow
from alongside.models import AuditAction, AuditEvent, AuditOutcome, AuditPurpose, Role
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in


def _read_by(db: Session, world: World, role: Role, client_id: uuid.UUID) -> AuditEvent:
    return record(
        db,
        actor=world.users[role],
        action=AuditAction.READ,
        resource_type="client",
        resource_id=client_id,
        client_id=client_id,
        organization_id=world.org.id,
        purpose=AuditPurpose.TREATMENT,
        outcome=AuditOutcome.SUCCESS,
        now=utcnow(),
    )


def test_the_lead_filters_the_audit_log_by_person_action_client_and_dates(
    client: TestClient, db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    _read_by(db, world, Role.CLINICIAN, world.own_client.id)
    db.flush()
    sign_in(client, world.users[Role.CLINICAL_LEAD])
    today = utcnow().date()
    page = client.get(
        "/audit",
        params={
            "user": str(clinician.id),
            "action": "read",
            "client": world.own_client.family_name,
            "from": (today - dt.timedelta(days=1)).isoformat(),
            "to": (today + dt.timedelta(days=1)).isoformat(),
        },
    )
    assert page.status_code == 200
    assert clinician.display_name in page.text
    assert 'role="alert"' not in page.text
    # A day long past holds none of today's events.
    empty = client.get("/audit", params={"user": str(clinician.id), "to": "2001-01-01"})
    assert empty.status_code == 200
    assert empty.text.count(clinician.display_name) < page.text.count(clinician.display_name)


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"from": "last week"}, "From: choose a date, such as 2030-01-07."),
        ({"to": "2030-13-45"}, "To: choose a date, such as 2030-01-07."),
        ({"action": "teleport"}, "Action: choose one from the list."),
        ({"user": "someone"}, "Choose a person from the list."),
    ],
)
def test_a_filter_that_cannot_be_read_is_answered_in_words(
    client: TestClient, world: World, params: dict[str, str], words: str
) -> None:
    sign_in(client, world.users[Role.CLINICAL_LEAD])
    page = client.get("/audit", params=params)
    assert page.status_code in (404, 422)
    assert words in page.text
    assert 'role="alert"' in page.text


def test_the_verify_button_says_the_log_is_intact(
    client: TestClient, db: Session, world: World
) -> None:
    _read_by(db, world, Role.CLINICIAN, world.own_client.id)
    db.flush()
    csrf = sign_in(client, world.users[Role.ADMIN])
    checked = client.post("/audit/verify", data={"csrf_token": csrf})
    assert checked.status_code == 200
    assert "The audit log is intact." in checked.text
    assert "waiting to be sealed" in checked.text
