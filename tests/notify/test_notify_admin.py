"""The administrator's outbox page and API: dead and failing messages, retry, 404 for others."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from alongside.config import Settings
from alongside.errors import NotFound
from alongside.models import OutboxMessage, OutboxStatus, Role
from alongside.notify import service
from alongside.notify.access import outbox_organization
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BODY = "Open the case: https://clinic.test/review/secret-case-link"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No background worker: these tests look at stored state, not delivery."""
    return settings.model_copy(update={"run_worker_in_server": False})


def _message(
    db: Session, organization_id: uuid.UUID, status: OutboxStatus, key: str
) -> OutboxMessage:
    message = service.enqueue(
        db,
        kind="crisis_alert",
        channel="webhook",
        recipient="oncall",
        subject="Urgent: intake needs review",
        body=BODY,
        payload={},
        idempotency_key=key,
        organization_id=organization_id,
        now=NOW,
    )
    message.status = status
    message.attempts = 8 if status is OutboxStatus.DEAD else 2
    message.last_error = "DeliveryError: The receiver answered HTTP 503"
    db.flush()
    return message


@pytest.fixture
def messages(db: Session, world: World) -> dict[str, OutboxMessage]:
    """A dead, a failing and a delivered message here, and a dead one in another organisation."""
    return {
        "dead": _message(db, world.org.id, OutboxStatus.DEAD, "dead-1"),
        "failed": _message(db, world.org.id, OutboxStatus.FAILED, "failed-1"),
        "delivered": _message(db, world.org.id, OutboxStatus.DELIVERED, "delivered-1"),
        "foreign": _message(db, world.other_org.id, OutboxStatus.DEAD, "foreign-1"),
    }


def test_the_admin_page_lists_dead_and_failing_messages_without_bodies(
    client: TestClient, world: World, messages: dict[str, OutboxMessage]
) -> None:
    sign_in(client, world.users[Role.ADMIN])
    page = client.get("/admin/outbox", headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.text
    assert str(messages["dead"].id) in html
    assert str(messages["failed"].id) in html
    assert str(messages["delivered"].id) not in html
    assert str(messages["foreign"].id) not in html
    assert "The receiver answered HTTP 503" in html
    assert "Crisis alert to the on-call clinician" in html  # the kind in words
    assert "crisis_alert" not in html
    assert "secret-case-link" not in html
    assert 'name="csrf_token"' in html


def test_the_admin_api_filters_by_status_and_never_returns_bodies(
    client: TestClient, world: World, messages: dict[str, OutboxMessage]
) -> None:
    sign_in(client, world.users[Role.ADMIN])
    dead = client.get("/api/outbox", params={"status": "dead"})
    assert dead.status_code == 200
    [row] = dead.json()["items"]
    assert row["id"] == str(messages["dead"].id)
    assert row["status"] == "dead"
    assert row["attempts"] == 8
    assert row["recipient"] == "oncall"
    assert row["last_error"] == "DeliveryError: The receiver answered HTTP 503"
    assert "body" not in row
    assert "secret-case-link" not in dead.text
    default = client.get("/api/outbox")
    assert {r["status"] for r in default.json()["items"]} == {"dead", "failed"}
    assert client.get("/api/outbox", params={"status": "lost"}).status_code == 422


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_every_other_role_gets_404_on_page_api_and_retry(
    client: TestClient, world: World, messages: dict[str, OutboxMessage], role: Role
) -> None:
    csrf = sign_in(client, world.users[role])
    target = messages["dead"].id
    assert client.get("/admin/outbox", headers={"Accept": "text/html"}).status_code == 404
    assert client.get("/api/outbox").status_code == 404
    headers = {"X-CSRF-Token": csrf}
    assert client.post(f"/api/outbox/{target}/retry", headers=headers).status_code == 404
    assert client.post(f"/admin/outbox/{target}/retry", headers=headers).status_code == 404


def test_the_outbox_gate_itself_answers_not_found_to_every_role_but_the_administrator(
    world: World,
) -> None:
    """The routes also declare the permission; the gate shared by page and API refuses on its
    own, in the same words, so a route that forgot the declaration would still be closed."""
    assert outbox_organization(world.users[Role.ADMIN]) == world.org.id
    for role in Role:
        if role is Role.ADMIN:
            continue
        with pytest.raises(NotFound) as refused:
            outbox_organization(world.users[role])
        assert refused.value.status_code == 404
        assert refused.value.message.startswith("There is nothing at this address.")


def test_without_a_session_the_api_answers_401_and_the_page_sends_to_sign_in(
    client: TestClient,
) -> None:
    assert client.get("/api/outbox").status_code == 401
    page = client.get("/admin/outbox", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fadmin%2Foutbox"


def test_the_retry_button_needs_the_csrf_token_and_requeues_the_message(
    client: TestClient, db: Session, world: World, messages: dict[str, OutboxMessage]
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    dead = messages["dead"]
    refused = client.post(f"/admin/outbox/{dead.id}/retry", data={"csrf_token": "wrong"})
    assert refused.status_code == 403
    db.refresh(dead)
    assert dead.status is OutboxStatus.DEAD
    done = client.post(
        f"/admin/outbox/{dead.id}/retry", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/admin/outbox?retried={dead.id}"
    db.refresh(dead)
    assert dead.status is OutboxStatus.PENDING
    assert dead.attempts == 0
    page = client.get(done.headers["location"], headers={"Accept": "text/html"})
    assert "will be sent again" in page.text


def test_the_api_retry_is_scoped_to_the_admins_organisation(
    client: TestClient, db: Session, world: World, messages: dict[str, OutboxMessage]
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    headers = {"X-CSRF-Token": csrf}
    foreign = client.post(f"/api/outbox/{messages['foreign'].id}/retry", headers=headers)
    missing = client.post(f"/api/outbox/{uuid.uuid4()}/retry", headers=headers)
    malformed = client.post("/api/outbox/not-an-id/retry", headers=headers)
    assert foreign.status_code == missing.status_code == malformed.status_code == 404
    assert foreign.json()["error"] == missing.json()["error"]
    delivered = client.post(f"/api/outbox/{messages['delivered'].id}/retry", headers=headers)
    assert delivered.status_code == 409
    ok = client.post(f"/api/outbox/{messages['failed'].id}/retry", headers=headers)
    assert ok.status_code == 200
    assert ok.json()["status"] == "pending"


def test_administrators_never_see_client_addresses_or_names(
    client: TestClient, db: Session, world: World
) -> None:
    """Regression: ``GET /api/outbox?status=delivered`` and ``/admin/outbox`` listed the
    email address (and subject) of reminders to clients."""
    address = world.own_client.email
    name = world.own_client.given_name
    to_client = service.enqueue(
        db,
        kind="appointment_reminder",
        channel="email",
        recipient=address,
        subject=f"{name}, your appointment tomorrow",
        body="See you tomorrow.",
        payload={},
        idempotency_key="reminder-1",
        organization_id=world.org.id,
        client_id=world.own_client.id,
        now=NOW,
    )
    failing = service.enqueue(
        db,
        kind="appointment_reminder",
        channel="email",
        recipient=address,
        subject=f"{name}, your appointment tomorrow",
        body="See you tomorrow.",
        payload={},
        idempotency_key="reminder-2",
        organization_id=world.org.id,
        client_id=world.own_client.id,
        now=NOW,
    )
    to_staff = _message(db, world.org.id, OutboxStatus.DELIVERED, "staff-1")
    to_client.status = OutboxStatus.DELIVERED
    to_client.delivered_at = NOW
    failing.status = OutboxStatus.DEAD
    failing.last_error = f"SMTPRecipientsRefused: 550 <{address}>: mailbox unavailable"
    db.flush()
    sign_in(client, world.users[Role.ADMIN])
    delivered = client.get("/api/outbox", params={"status": ["delivered", "dead"]})
    assert delivered.status_code == 200
    rows = {row["id"]: row for row in delivered.json()["items"]}
    assert address not in delivered.text
    assert name not in delivered.text
    assert rows[str(to_client.id)]["for_client"] is True
    assert rows[str(to_client.id)]["kind"] == "appointment_reminder"
    assert rows[str(to_client.id)]["status"] == "delivered"
    assert "mailbox unavailable" in rows[str(failing.id)]["last_error"]
    # Positive control: staff routing stays visible, so delivery problems can be fixed.
    assert rows[str(to_staff.id)]["recipient"] == "oncall"
    page = client.get("/admin/outbox")
    assert page.status_code == 200
    assert "Appointment reminder" in page.text  # the kind in words
    assert address not in page.text
    assert name not in page.text
    assert "oncall" in page.text


def test_the_outbox_api_pages_newest_first_with_checked_cursors(
    client: TestClient, db: Session, world: World, messages: dict[str, OutboxMessage]
) -> None:
    more = [_message(db, world.org.id, OutboxStatus.DEAD, f"dead-page-{n}") for n in range(4)]
    sign_in(client, world.users[Role.ADMIN])
    whole = client.get("/api/outbox", params={"limit": 200}).json()
    assert whole["next"] is None
    expected = [row["id"] for row in whole["items"]]
    assert set(expected) == {str(m.id) for m in [*more, messages["dead"], messages["failed"]]}
    seen, cursor = [], None
    while True:
        params: dict[str, object] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/api/outbox", params=params).json()
        seen += [row["id"] for row in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == expected
    first = client.get("/api/outbox", params={"limit": 2}).json()["next"]
    # A cursor of one filter does not continue another.
    other = client.get("/api/outbox", params={"cursor": first, "status": "delivered"})
    assert other.status_code == 422
    assert client.get("/api/outbox", params={"cursor": first + "x"}).status_code == 422
