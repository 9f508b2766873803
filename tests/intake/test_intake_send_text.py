"""Sending an intake link by text message from the "new intake" form (and the API): offered
only when the clinic set up an SMS gateway (else the form says so and offers email only), to
the mobile number on the record or the one entered for a new client, encrypted with the
client's key, delivered to a real HTTP gateway; nothing is made when the number is missing."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alongside.config import Settings
from alongside.kit.time import utcnow
from alongside.models import Client, Intake, OutboxMessage, OutboxStatus, Role
from alongside.notify.sms import SmsGatewaySender
from alongside.notify.worker import deliver_due
from tests.fixtures.factories import World, create_client
from tests.fixtures.web import sign_in
from tests.notify.notify_support import sms_gateway

KIND = "intake_link"
NOT_SET_UP = "Text messages are not set up at this clinic, so the link can go by email only"


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


def _texts_on(app: object, url: str = "http://127.0.0.1:9/message") -> None:
    state = app.state  # type: ignore[attr-defined]
    state.settings = state.settings.model_copy(update={"sms_gateway_url": url})


def test_without_a_gateway_the_form_offers_email_only_and_refuses_a_text(
    db: Session, world: World, client: TestClient
) -> None:
    world.own_client.phone = "+1 555 010 0123"
    db.flush()
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    form = client.get("/intakes/new")
    assert NOT_SET_UP in form.text
    assert "by text message" not in form.text
    assert 'value="email"' in form.text
    refused = client.post("/intakes/new", data=_form(csrf, world, send_by="sms"))
    assert refused.status_code == 422
    assert NOT_SET_UP in refused.text
    assert _count(db, Intake) == 0
    assert _count(db, OutboxMessage) == 0
    api = client.post(
        "/api/intakes",
        json={"client_id": str(world.own_client.id), "send_text": True},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 422
    assert NOT_SET_UP in api.json()["error"]


def test_the_link_is_texted_to_the_number_on_record_and_reaches_a_real_gateway(
    db: Session,
    world: World,
    client: TestClient,
    app: object,
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    world.own_client.phone = "+1 (555) 010-0123"
    db.flush()
    _texts_on(app)
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    form = client.get("/intakes/new")
    assert "Send it to the client by text message" in form.text
    assert NOT_SET_UP not in form.text
    created = client.post("/intakes/new", data=_form(csrf, world, send_by="sms"))
    assert created.status_code == 201, created.text
    assert "Intake link sent by text message" in created.text
    assert "queued to be texted to <strong>+15550100123</strong>" in created.text
    shown = re.search(r'id="intake-link" readonly value="([^"]+)"', created.text)
    assert shown is not None
    token = shown.group(1).rsplit("/intake/", 1)[1]

    [message] = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == KIND)).all()
    assert message.channel.value == "sms"
    assert message.recipient == "+15550100123"
    assert message.client_id == world.own_client.id
    link = f"{settings.effective_public_url}/intake/{token}"
    assert link in message.body
    assert world.org.name in message.body
    # A phone's lock screen shows it: no questionnaire named, nothing clinical.
    for word in ("PHQ", "GAD", "depress", "anxiety", "mental"):
        assert word not in message.body
    assert token not in str(message.payload)
    raw = db.execute(
        select(OutboxMessage.__table__.c.recipient).where(OutboxMessage.id == message.id)
    ).scalar_one()
    assert b"5550100123" not in bytes(raw)

    with sms_gateway() as gateway:
        sender = SmsGatewaySender(gateway.url, token="t0ken")
        try:
            assert deliver_due(session_factory, now=utcnow(), senders={"sms": sender}) == 1
        finally:
            sender.close()
    [received] = gateway.received
    assert received.document["to"] == "+15550100123"
    assert link in received.document["text"]
    db.expire_all()
    assert db.get(OutboxMessage, message.id).status is OutboxStatus.DELIVERED  # type: ignore[union-attr]


def test_without_a_mobile_number_nothing_is_made_and_the_form_says_why(
    db: Session, world: World, client: TestClient, app: object
) -> None:
    _texts_on(app)
    landline_only = create_client(db, world.org, phone="call the office")
    db.flush()
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    for client_id in (world.own_client.id, landline_only.id):
        refused = client.post(
            "/intakes/new", data=_form(csrf, world, send_by="sms", client_id=str(client_id))
        )
        assert refused.status_code == 422
        assert "Send by text message: this client has no mobile number" in refused.text
        assert "checked" in refused.text.split('id="send_by_sms"')[1].split(">")[0]
    new = {
        "csrf_token": csrf,
        "given_name": "Ana",
        "family_name": "Sousa",
        "reviewer_id": str(world.users[Role.CLINICIAN].id),
        "send_by": "sms",
    }
    missing = client.post("/intakes/new", data=new)
    assert missing.status_code == 422
    assert "enter the new client&#39;s mobile number" in missing.text
    garbled = client.post("/intakes/new", data={**new, "phone": "my sister's"})
    assert garbled.status_code == 422
    assert "Mobile number: enter the number with its area code" in garbled.text
    unknown_way = client.post("/intakes/new", data=_form(csrf, world, send_by="pigeon"))
    assert unknown_way.status_code == 422
    assert "Sending the link: choose one of the ways offered." in unknown_way.text
    assert _count(db, Intake) == 0
    assert _count(db, OutboxMessage) == 0


def test_a_new_clients_link_is_texted_to_the_number_entered(
    db: Session, world: World, client: TestClient, app: object
) -> None:
    _texts_on(app)
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    created = client.post(
        "/intakes/new",
        data={
            "csrf_token": csrf,
            "given_name": "Tove",
            "family_name": "Lindahl",
            "phone": "0044 7700 900123",
            "instruments": ["phq9"],
            "send_by": "sms",
        },
    )
    assert created.status_code == 201, created.text
    [message] = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == KIND)).all()
    assert message.recipient == "+447700900123"
    newcomer = db.get(Client, message.client_id)
    assert newcomer is not None
    assert newcomer.phone == "0044 7700 900123"


@pytest.mark.parametrize("body", [{"send_text": True}, {}])
def test_the_api_texts_it_too(
    db: Session, world: World, client: TestClient, app: object, body: dict[str, bool]
) -> None:
    world.own_client.phone = "+1 555 010 0123"
    db.flush()
    _texts_on(app)
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    created = client.post(
        "/api/intakes",
        json={
            "client_id": str(world.own_client.id),
            "reviewer_id": str(world.users[Role.CLINICIAN].id),
            **body,
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert created.status_code == 201, created.text
    texted = bool(body)
    assert created.json()["texted"] is texted
    assert created.json()["emailed"] is False
    assert _count(db, OutboxMessage) == (1 if texted else 0)


def test_the_api_refuses_both_ways_at_once(db: Session, world: World, client: TestClient) -> None:
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    both = client.post(
        "/api/intakes",
        json={"client_id": str(world.own_client.id), "send_email": True, "send_text": True},
        headers={"X-CSRF-Token": csrf},
    )
    assert both.status_code == 422
    assert "Choose one way to send the link" in both.json()["error"]
    assert _count(db, Intake) == 0
