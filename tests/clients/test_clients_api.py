"""Who sees which client: organisation and care team; everything else is 404."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from alongside.models import Role
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in


def test_without_a_session_both_endpoints_answer_401(client: TestClient, world: World) -> None:
    assert client.get("/api/clients").status_code == 401
    assert client.get(f"/api/clients/{world.own_client.id}").status_code == 401


@pytest.mark.parametrize(
    ("role", "sees_own", "sees_outside"),
    [
        (Role.CLINICIAN, True, False),
        (Role.COORDINATOR, True, True),
        (Role.CLINICAL_LEAD, True, True),
        (Role.ADMIN, False, False),
        # A client reads their own record at /api/me/*; the staff API is not theirs (404).
        (Role.CLIENT, False, False),
    ],
)
def test_readable_set_by_role(
    client: TestClient, world: World, role: Role, sees_own: bool, sees_outside: bool
) -> None:
    sign_in(client, world.users[role])
    listing = client.get("/api/clients")
    # Roles that list no clients (clients, administrators) find no list at all.
    assert listing.status_code == (404 if role in (Role.ADMIN, Role.CLIENT) else 200)
    listed = (
        {item["id"] for item in listing.json()["items"]} if listing.status_code == 200 else set()
    )
    expectations = {
        world.own_client.id: sees_own,
        world.outside_client.id: sees_outside,
        world.foreign_client.id: False,
    }
    not_found_bodies = []
    for client_obj_id, visible in expectations.items():
        if listing.status_code == 200:
            assert (str(client_obj_id) in listed) is visible
        response = client.get(f"/api/clients/{client_obj_id}")
        assert response.status_code == (200 if visible else 404)
        if not visible:
            not_found_bodies.append(response.json()["error"])
    missing = client.get(f"/api/clients/{uuid.uuid4()}")
    assert missing.status_code == 404
    malformed = client.get("/api/clients/not-a-uuid")
    assert malformed.status_code == 404
    # "Exists but not yours" reads exactly like "does not exist".
    for body in not_found_bodies:
        assert body == missing.json()["error"] == malformed.json()["error"]
