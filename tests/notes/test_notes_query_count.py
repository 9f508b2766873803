"""The notes list runs a fixed number of queries, however many notes and clients it shows."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from alongside.kit.time import utcnow
from alongside.models import Role
from alongside.notes import service
from alongside.security.access import actor_for
from tests.clients.test_clients_query_count import counted
from tests.fixtures.factories import World, create_client
from tests.fixtures.web import sign_in


def _notes(db: Session, world: World, count: int) -> None:
    clinician = world.users[Role.CLINICIAN]
    for _ in range(count):
        other = create_client(db, world.org, clinicians=(clinician,))
        actor = actor_for(db, clinician, utcnow())
        service.draft_ad_hoc(
            db,
            user=clinician,
            actor=actor,
            client_id=other.id,
            template_id="dap",
            jottings="",
            now=utcnow(),
        )


def _count(client: TestClient, connection: Connection) -> int:
    with counted(connection) as statements:
        response = client.get("/api/notes?limit=50")
        assert response.status_code == 200
    return len(statements)


def test_note_list_query_count_does_not_grow(
    client: TestClient, world: World, db: Session, connection: Connection
) -> None:
    _notes(db, world, 2)
    sign_in(client, world.users[Role.CLINICIAN])
    few = _count(client, connection)
    _notes(db, world, 12)
    assert _count(client, connection) == few
    # Pinned: session, user, care team, break-glass grants, notes, their clients' keys, audit.
    assert few <= 12, few
