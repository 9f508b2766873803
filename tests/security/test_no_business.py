"""404 for what a role has no business with; clients get no API tokens; tokens expire.

Regressions: client, coordinator and admin got ``200 []`` from ``GET /api/review/queue``, the
admin ``200`` from ``GET /api/clients``, client and admin an empty review queue page; a client
could create API tokens; tokens never expired.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from alongside.kit.time import utcnow
from alongside.models import ApiToken, Role
from alongside.security.tokens import resolve_token
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in


@pytest.mark.parametrize("role", [Role.CLIENT, Role.COORDINATOR, Role.ADMIN])
def test_review_queue_is_404_for_roles_that_review_nothing(
    client: TestClient, world: World, role: Role
) -> None:
    sign_in(client, world.users[role])
    assert client.get("/api/review/queue").status_code == 404
    assert client.get("/review", headers={"accept": "text/html"}).status_code == 404


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.CLINICAL_LEAD])
def test_review_queue_answers_reviewers(client: TestClient, world: World, role: Role) -> None:
    sign_in(client, world.users[role])
    assert client.get("/api/review/queue").status_code == 200
    assert client.get("/review", headers={"accept": "text/html"}).status_code == 200


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ADMIN, 404), (Role.CLIENT, 404), (Role.COORDINATOR, 200), (Role.CLINICIAN, 200)],
)
def test_client_list_only_for_roles_that_list_clients(
    client: TestClient, world: World, role: Role, status: int
) -> None:
    sign_in(client, world.users[role])
    assert client.get("/api/clients").status_code == status


def test_clients_cannot_create_or_list_tokens(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world.users[Role.CLIENT])
    body = {"name": "mine", "scopes": ["client.read"]}
    assert client.post("/api/tokens", json=body, headers={"X-CSRF-Token": csrf}).status_code == 404
    assert client.get("/api/tokens").status_code == 404
    client.cookies.clear()
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    assert client.post("/api/tokens", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_tokens_expire_and_show_their_last_use(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    created = client.post(
        "/api/tokens",
        json={"name": "script", "scopes": ["client.read", "client.list"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert created.status_code == 201
    made = created.json()
    expires = made["expires_at"]
    lifetime = datetime.fromisoformat(expires) - datetime.fromisoformat(made["created_at"])
    assert abs(lifetime - timedelta(days=90)) < timedelta(minutes=1)
    assert made["last_used_at"] is None
    bearer = TestClient(client.app, headers={"Authorization": f"Bearer {made['token']}"})
    assert bearer.get("/api/clients").status_code == 200
    listed = client.get("/api/tokens").json()
    assert listed[0]["last_used_at"] is not None
    # At its end the token stops working.
    token = db.get(ApiToken, uuid.UUID(made["id"]))
    assert token is not None
    assert resolve_token(db, made["token"], token.expires_at - timedelta(seconds=1)) is not None
    assert resolve_token(db, made["token"], token.expires_at) is None
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.flush()
    assert bearer.get("/api/clients").status_code == 401
    # The lifetime may be chosen, within bounds.
    short = client.post(
        "/api/tokens",
        json={"name": "short", "scopes": ["client.read"], "expires_in_days": 7},
        headers={"X-CSRF-Token": csrf},
    )
    assert short.status_code == 201
    too_long = client.post(
        "/api/tokens",
        json={"name": "long", "scopes": ["client.read"], "expires_in_days": 100_000},
        headers={"X-CSRF-Token": csrf},
    )
    assert too_long.status_code == 422
