"""Asking for questionnaires again by text message or email, as the clinician chooses on the
client's page: texts only when the clinic set up an SMS gateway and the record has a mobile
number; nothing at all to a client who withdrew consent to reminders (asked for, it is refused
in words; by default the link is shown to give them), and the plan's own reminders skip them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alongside.measures import service
from alongside.models import Consent, Intake, OutboxMessage, Role
from alongside.privacy.consents import REMINDERS, reminders_withdrawn_at
from alongside.security.access import actor_for
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in

KIND = "measures_due"
NOT_SET_UP = "Text messages are not set up at this clinic"
WITHDRAWN_ON = datetime(2031, 1, 15, 12, 0, tzinfo=UTC)


def _texts_on(app: object) -> None:
    state = app.state  # type: ignore[attr-defined]
    state.settings = state.settings.model_copy(
        update={"sms_gateway_url": "http://127.0.0.1:9/message"}
    )


def _send(client: TestClient, csrf: str, client_id: object, **extra: str) -> Response:
    return client.post(
        f"/clients/{client_id}/measures/send",
        data={"csrf_token": csrf, "instruments": ["phq9"], **extra},
    )


def _queued(db: Session) -> list[OutboxMessage]:
    return list(db.scalars(select(OutboxMessage).where(OutboxMessage.kind == KIND)))


def _withdraw(db: Session, world: World, *, granted: bool = False) -> None:
    db.add(
        Consent(
            organization_id=world.org.id,
            client_id=world.own_client.id,
            purpose=REMINDERS,
            granted=granted,
            text_version="my-consents-en-1",
            recorded_at=WITHDRAWN_ON,
        )
    )
    db.flush()


def test_the_clinician_texts_the_questionnaires_to_the_mobile_number(
    db: Session, world: World, client: TestClient, app: object
) -> None:
    world.own_client.phone = "+44 7700 900123"
    db.flush()
    _texts_on(app)
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    page = client.get(f"/clients/{world.own_client.id}")
    assert "By text message, to +447700900123" in page.text
    assert f"By email, to {world.own_client.email}" in page.text
    # Email stays the default when the record has an address.
    assert 'id="send-by-email" name="send_by" value="email" checked' in page.text
    sent = _send(client, csrf, world.own_client.id, send_by="sms")
    assert sent.status_code == 201, sent.text
    assert "a private link is queued to be texted to <strong>+447700900123</strong>" in sent.text
    [message] = _queued(db)
    assert message.channel.value == "sms"
    assert message.recipient == "+447700900123"
    assert message.client_id == world.own_client.id
    assert re.search(r"/intake/[A-Za-z0-9_-]+", message.body)
    assert world.org.name in message.body
    assert "PHQ" not in message.body


def test_without_a_gateway_or_a_number_a_text_is_refused_in_words(
    db: Session, world: World, client: TestClient, app: object
) -> None:
    world.own_client.phone = "+44 7700 900123"
    db.flush()
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    page = client.get(f"/clients/{world.own_client.id}")
    assert NOT_SET_UP in page.text
    assert 'value="sms"' not in page.text
    refused = _send(client, csrf, world.own_client.id, send_by="sms")
    assert refused.status_code == 422
    assert NOT_SET_UP in refused.text
    # With a gateway but no number on the record.
    _texts_on(app)
    world.own_client.phone = None
    db.flush()
    page = client.get(f"/clients/{world.own_client.id}")
    assert "Their record has no mobile number a text can go to." in page.text
    no_number = _send(client, csrf, world.own_client.id, send_by="sms")
    assert no_number.status_code == 422
    assert "Send by text message: this client has no mobile number" in no_number.text
    unknown = _send(client, csrf, world.own_client.id, send_by="fax")
    assert unknown.status_code == 422
    assert "choose one of the ways offered" in unknown.text
    assert int(db.scalar(select(func.count()).select_from(Intake)) or 0) == 0
    assert _queued(db) == []


def test_choosing_the_link_shows_it_and_sends_nothing(
    db: Session, world: World, client: TestClient
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    sent = _send(client, csrf, world.own_client.id, send_by="link")
    assert sent.status_code == 201
    assert "Questionnaire link created" in sent.text
    assert "Give them this link yourself." in sent.text
    assert re.search(r'id="measures-link" readonly value="[^"]+/intake/[A-Za-z0-9_-]+"', sent.text)
    assert _queued(db) == []


def test_a_client_who_withdrew_consent_to_reminders_is_sent_nothing(
    db: Session, world: World, client: TestClient, app: object
) -> None:
    world.own_client.phone = "+44 7700 900123"
    _texts_on(app)
    _withdraw(db, world)
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    page = client.get(f"/clients/{world.own_client.id}")
    assert "They withdrew their consent to reminders by email or text message on" in page.text
    assert 'value="email"' not in page.text
    assert 'value="sms"' not in page.text
    assert 'id="send-by-link" name="send_by" value="link" checked' in page.text
    for way in ("email", "sms"):
        refused = _send(client, csrf, world.own_client.id, send_by=way)
        assert refused.status_code == 422
        assert "withdrew their consent to reminders" in refused.text
        assert "15 January 2031" in refused.text
    # Without a choice (an older form, a script) the link is shown, with why.
    default = _send(client, csrf, world.own_client.id)
    assert default.status_code == 201
    assert "Questionnaire link created" in default.text
    assert "so nothing was sent to them" in default.text
    assert _queued(db) == []


def test_consent_given_again_allows_sending_again(
    db: Session, world: World, client: TestClient
) -> None:
    _withdraw(db, world)
    assert reminders_withdrawn_at(db, world.own_client.id) == WITHDRAWN_ON
    db.add(
        Consent(
            organization_id=world.org.id,
            client_id=world.own_client.id,
            purpose=REMINDERS,
            granted=True,
            text_version="my-consents-en-1",
            recorded_at=WITHDRAWN_ON + timedelta(days=1),
        )
    )
    db.flush()
    assert reminders_withdrawn_at(db, world.own_client.id) is None
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    sent = _send(client, csrf, world.own_client.id)
    assert sent.status_code == 201
    assert "Questionnaires sent" in sent.text
    assert len(_queued(db)) == 1


def test_the_plans_own_reminders_skip_a_client_who_withdrew(db: Session, world: World) -> None:
    start = datetime(2031, 2, 1, 9, 0, tzinfo=UTC)
    clinician = world.users[Role.CLINICIAN]
    service.set_plan(
        db,
        user=clinician,
        actor=actor_for(db, clinician, start),
        client_id=world.own_client.id,
        instruments=["phq9"],
        cadence="interval",
        interval_days=14,
        now=start,
    )
    _withdraw(db, world)
    report = service.due_measures(db, now=start + timedelta(days=14), link_base="https://c.test")
    assert len(report.created) == 1
    assert report.created[0].message_id is None
    assert _queued(db) == []
