"""Asking a client for questionnaires again now, from their page: the care team's clinician
chooses them; an intake link with only those is made (reviewed by the sender) and emailed
through the outbox, or shown once when the record has no address; audited; 404 for anyone
who may not set the client's plan."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alongside.models import AuditEvent, Intake, OutboxMessage, Role
from alongside.models.user import User
from tests.fixtures.factories import World, create_client
from tests.fixtures.web import sign_in


def _send(client: TestClient, csrf: str, client_id: object, *instruments: str) -> object:
    return client.post(
        f"/clients/{client_id}/measures/send",
        data={"csrf_token": csrf, "instruments": list(instruments)},
    )


def test_the_care_teams_clinician_sends_phq9_again_by_email(
    db: Session, world: World, client: TestClient
) -> None:
    clinician = world.users[Role.CLINICIAN]
    csrf = sign_in(client, clinician)
    page = client.get(f"/clients/{world.own_client.id}")
    assert "Ask for questionnaires again now" in page.text
    assert 'id="send-instrument-phq9" name="instruments" value="phq9" checked' in page.text
    sent = client.post(
        f"/clients/{world.own_client.id}/measures/send",
        data={"csrf_token": csrf, "instruments": ["phq9"]},
    )
    assert sent.status_code == 201, sent.text
    assert "Questionnaires sent" in sent.text
    assert f"PHQ-9: a private link is queued to be emailed to <strong>{world.own_client.email}" in (
        sent.text
    )
    [message] = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "measures_due")).all()
    assert message.recipient == world.own_client.email
    assert message.client_id == world.own_client.id
    match = re.search(r"/intake/([A-Za-z0-9_-]+)", message.body)
    assert match is not None
    assert match.group(1) not in str(message.payload)
    [intake] = db.scalars(select(Intake).where(Intake.client_id == world.own_client.id)).all()
    assert list(intake.instruments) == ["phq9"]
    assert intake.reviewer_id == clinician.id
    audited = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.resource_type == "measures_reminder")
        .where(AuditEvent.action == "create")
    ).all()
    assert [e.actor_id for e in audited] == [clinician.id]
    # The link in the email opens the client's questionnaires.
    client.cookies.clear()
    opened = client.get(f"/intake/{match.group(1)}")
    assert opened.status_code == 200


def test_without_an_address_the_link_is_shown_once(
    db: Session, world: World, client: TestClient
) -> None:
    clinician = world.users[Role.CLINICIAN]
    quiet = create_client(db, world.org, clinicians=(clinician,), email=None)
    db.flush()
    csrf = sign_in(client, clinician)
    sent = client.post(
        f"/clients/{quiet.id}/measures/send",
        data={"csrf_token": csrf, "instruments": ["phq9", "gad7"]},
    )
    assert sent.status_code == 201, sent.text
    assert "no email address on their record" in sent.text
    assert "PHQ-9, GAD-7" in sent.text
    assert re.search(r'id="measures-link" readonly value="[^"]+/intake/[A-Za-z0-9_-]+"', sent.text)
    assert int(db.scalar(select(func.count()).select_from(OutboxMessage)) or 0) == 0


def test_choosing_nothing_is_explained_in_words(world: World, client: TestClient) -> None:
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    response = client.post(
        f"/clients/{world.own_client.id}/measures/send", data={"csrf_token": csrf}
    )
    assert response.status_code == 422
    assert "Questionnaires: choose at least one questionnaire to send." in response.text
    assert "instruments:" not in response.text
    assert "Send these questionnaires now" in response.text


@pytest.mark.parametrize("who", ["coordinator", "other_clinician", "lead_off_team", "client"])
def test_no_one_else_sends_them(db: Session, world: World, client: TestClient, who: str) -> None:
    users: dict[str, User] = {
        "coordinator": world.users[Role.COORDINATOR],
        "other_clinician": world.other_clinician,
        "lead_off_team": world.users[Role.CLINICAL_LEAD],
        "client": world.client_user,
    }
    csrf = sign_in(client, users[who])
    response = client.post(
        f"/clients/{world.own_client.id}/measures/send",
        data={"csrf_token": csrf, "instruments": ["phq9"]},
    )
    assert response.status_code == 404
    assert int(db.scalar(select(func.count()).select_from(Intake)) or 0) == 0
    if who == "coordinator":
        page = client.get(f"/clients/{world.own_client.id}")
        assert page.status_code == 200
        assert "Ask for questionnaires again now" not in page.text
