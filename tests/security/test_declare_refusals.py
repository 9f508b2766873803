"""A refusal at a route's declared gate is audited; it names the client the request asked
about only when that is a client of the person's own organisation (so the refusal is in that
client's access log), never another organisation's, and never a garbled id."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alongside.models import AuditEvent, Role
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in


def _refusals_after(db: Session, after: int) -> list[AuditEvent]:
    db.expire_all()
    return list(
        db.scalars(
            select(AuditEvent)
            .where(AuditEvent.insert_order > after)
            .where(AuditEvent.outcome == "refused")
            .order_by(AuditEvent.insert_order)
        )
    )


@pytest.mark.parametrize("asked", ["own", "outside", "foreign", "missing", "garbled", "none"])
def test_a_refusal_at_the_gate_names_only_a_client_of_ones_own_organisation(
    client: TestClient, db: Session, world: World, asked: str
) -> None:
    coordinator = world.users[Role.COORDINATOR]  # holds no audit.read
    sign_in(client, coordinator)
    unknown = client.get("/api/no-such-address")
    targets = {
        "own": (str(world.own_client.id), world.own_client.id),
        "outside": (str(world.outside_client.id), world.outside_client.id),
        "foreign": (str(world.foreign_client.id), None),
        "missing": (str(uuid.uuid4()), None),
        "garbled": ("not-a-client-id", None),
        "none": (None, None),
    }
    raw, named = targets[asked]
    db.expire_all()
    before = db.scalar(select(func.max(AuditEvent.insert_order))) or 0

    response = client.get("/api/audit/events", params={} if raw is None else {"client_id": raw})

    assert response.status_code == 404
    assert response.json()["error"] == unknown.json()["error"]
    refusals = _refusals_after(db, before)
    assert [(e.actor_id, e.resource_type, e.client_id) for e in refusals] == [
        (coordinator.id, "audit_event", named)
    ]


def test_a_role_the_declaration_allows_passes_the_gate(
    client: TestClient, db: Session, world: World
) -> None:
    sign_in(client, world.users[Role.CLINICAL_LEAD])
    db.expire_all()
    before = db.scalar(select(func.max(AuditEvent.insert_order))) or 0
    response = client.get("/api/audit/events", params={"client_id": str(world.own_client.id)})
    assert response.status_code == 200
    assert _refusals_after(db, before) == []
