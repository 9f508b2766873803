"""Sending an intake link by email from the "new intake" form: the link is queued in the
outbox in the same transaction (to the client's address, encrypted with their key, the token
only in the body), the page says it was queued, a real SMTP server receives it, and no client
address reaches the logs. Without an address nothing is made and the form says why in words."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alongside.config import Settings
from alongside.kit.time import utcnow
from alongside.models import AuditEvent, Intake, OutboxMessage, OutboxStatus, Role
from alongside.notify.email import SmtpEmailSender
from alongside.notify.worker import deliver_due
from tests.fixtures.factories import World, create_client
from tests.fixtures.web import sign_in
from tests.notify.notify_support import WAIT_S, smtp_server

KIND = "intake_link"


def _count(db: Session, model: type[object]) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _form(csrf: str, world: World, **extra: str) -> dict[str, object]:
    return {
        "csrf_token": csrf,
        "client_id": str(world.own_client.id),
        "instruments": ["phq9", "gad7"],
        "reviewer_id": str(world.users[Role.CLINICIAN].id),
        "expires_in_days": "7",
        **extra,
    }


def test_the_link_is_queued_by_email_and_a_real_smtp_server_receives_it(
    db: Session,
    world: World,
    client: TestClient,
    settings: Settings,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    address = world.own_client.email
    assert address
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    form = client.get("/intakes/new")
    assert "Send it to the client by email" in form.text
    created = client.post("/intakes/new", data=_form(csrf, world, send_by="email"))
    assert created.status_code == 201, created.text
    assert "Intake link sent by email" in created.text
    assert f"queued to be emailed to <strong>{address}</strong>" in created.text
    assert "shown only now" not in created.text.split("<details>")[0]
    shown = re.search(r'id="intake-link" readonly value="([^"]+)"', created.text)
    assert shown is not None
    token = shown.group(1).rsplit("/intake/", 1)[1]

    [message] = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == KIND)).all()
    assert message.channel.value == "email"
    assert message.recipient == address
    assert message.client_id == world.own_client.id  # encrypted with the client's key
    link = f"{settings.effective_public_url}/intake/{token}"
    assert link in message.body
    assert "PHQ-9, GAD-7" in message.body
    assert token not in str(message.payload)
    assert token not in message.idempotency_key
    assert message.status is OutboxStatus.PENDING
    # The address is not stored in the clear.
    raw = db.execute(
        select(OutboxMessage.__table__.c.recipient).where(OutboxMessage.id == message.id)
    ).scalar_one()
    assert address.encode() not in bytes(raw)
    audited = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.resource_type == KIND)
        .where(AuditEvent.action == "create")
    ).all()
    assert [(e.actor_id, e.client_id) for e in audited] == [
        (world.users[Role.COORDINATOR].id, world.own_client.id)
    ]

    with smtp_server() as sink:
        sender = SmtpEmailSender(host="127.0.0.1", port=sink.port, sender="clinic@clinic.test")
        tried = deliver_due(session_factory, now=utcnow(), senders={"email": sender})
        assert sink.arrived.wait(WAIT_S)
    assert tried == 1
    [email] = sink.messages
    assert email["To"] == address
    assert email["Subject"] == "Your private link from the clinic"
    assert link in email.get_content()
    db.expire_all()
    delivered = db.get(OutboxMessage, message.id)
    assert delivered is not None
    assert delivered.status is OutboxStatus.DELIVERED
    # Never an address (or the token) in Alongside's logs, extra fields included (the test's
    # own SMTP server, aiosmtpd's "mail.log", logs what it received: it stands for the world).
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    assert ours, "the request and the delivery log something"
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in ours)
    assert address not in logged
    assert token not in logged


def test_a_new_clients_link_goes_to_the_address_entered(
    db: Session, world: World, client: TestClient
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    created = client.post(
        "/intakes/new",
        data={
            "csrf_token": csrf,
            "given_name": "Tove",
            "family_name": "Lindahl",
            "email": "tove.lindahl@example.org",
            "instruments": ["phq9"],
            "send_by": "email",
        },
    )
    assert created.status_code == 201, created.text
    assert "tove.lindahl@example.org" in created.text
    [message] = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == KIND)).all()
    assert message.recipient == "tove.lindahl@example.org"


def test_without_an_address_nothing_is_made_and_the_form_says_why(
    db: Session, world: World, client: TestClient
) -> None:
    nobody = create_client(db, world.org, email=None)
    db.flush()
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    intakes = _count(db, Intake)
    form = _form(csrf, world, send_by="email", client_id=str(nobody.id))
    response = client.post("/intakes/new", data=form)
    assert response.status_code == 422
    assert "Send by email: this client has no email address on their record." in response.text
    assert 'id="send_by_email" name="send_by" value="email"' in response.text
    assert "checked" in response.text.split('id="send_by_email"')[1].split(">")[0]
    new = client.post(
        "/intakes/new",
        data={
            "csrf_token": csrf,
            "given_name": "Ana",
            "family_name": "Sousa",
            "reviewer_id": str(world.users[Role.CLINICIAN].id),
            "send_by": "email",
        },
    )
    assert new.status_code == 422
    assert "enter the new client&#39;s email address" in new.text
    assert _count(db, Intake) == intakes
    assert _count(db, OutboxMessage) == 0


def test_without_the_tick_the_link_is_only_shown(
    db: Session, world: World, client: TestClient
) -> None:
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    created = client.post("/intakes/new", data=_form(csrf, world))
    assert created.status_code == 201
    assert "Intake link created" in created.text
    assert "shown only now" in created.text
    assert _count(db, OutboxMessage) == 0


def test_a_bad_new_client_email_is_explained_without_field_names(
    world: World, client: TestClient
) -> None:
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    response = client.post(
        "/intakes/new",
        data={
            "csrf_token": csrf,
            "given_name": "Ana",
            "family_name": "Sousa",
            "email": "not-an-address",
            "reviewer_id": str(world.users[Role.CLINICIAN].id),
        },
    )
    assert response.status_code == 422
    assert "Email: enter an email address like name@example.org." in response.text
    assert "new_client.email" not in response.text


def test_the_api_sends_it_too(db: Session, world: World, client: TestClient) -> None:
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    body = {
        "client_id": str(world.own_client.id),
        "reviewer_id": str(world.users[Role.CLINICIAN].id),
        "send_email": True,
    }
    created = client.post("/api/intakes", json=body, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201, created.text
    assert created.json()["emailed"] is True
    [message] = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == KIND)).all()
    assert created.json()["url"].rsplit("/", 1)[1] in message.body
