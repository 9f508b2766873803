"""The administrator's forms refuse in words and change nothing: invitations that cannot be
sent, sent again or withdrawn, roles that do not exist, sites and decisions that are not there.
Addresses of things that are not there (or not this organisation's) answer 404."""

from __future__ import annotations

import uuid
from datetime import UTC

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alongside.accounts import second_factor_resets
from alongside.kit.time import utcnow
from alongside.models import (
    AuditEvent,
    OutboxMessage,
    ResetStatus,
    Role,
    SecondFactorReset,
    Site,
    StaffInvitation,
    User,
)
from alongside.security.access import actor_for
from tests.fixtures.factories import World, create_staff
from tests.fixtures.web import sign_in

ROBIN = "robin@clinic.test"


def _invite(client: TestClient, csrf: str, **fields: str) -> object:
    data = {
        "csrf_token": csrf,
        "display_name": "Robin Reception",
        "email": ROBIN,
        "role": "coordinator",
    }
    data.update(fields)
    return client.post("/admin/invitations", data=data)


def _invitations(db: Session) -> list[StaffInvitation]:
    db.expire_all()
    return list(db.scalars(select(StaffInvitation)))


def _invitation_audits(db: Session) -> list[str]:
    db.expire_all()
    return [
        str(e.action)
        for e in db.scalars(
            select(AuditEvent)
            .where(AuditEvent.resource_type == "staff_invitation")
            .order_by(AuditEvent.occurred_at)
        )
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"role": "boss"},
            "Choose one of the staff roles: clinician, intake coordinator, clinical lead or",
        ),
        ({"display_name": "   "}, "Give the person&#39;s name as colleagues will see it."),
        ({"email": "robin at the clinic"}, "Enter their work email address, like name@clinic.org."),
        ({"email": "robin"}, "Enter their work email address, like name@clinic.org."),
    ],
)
def test_an_invitation_the_form_cannot_send_is_refused_in_words_and_nothing_is_queued(
    client: TestClient, world: World, db: Session, fields: dict[str, str], message: str
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    refused = _invite(client, csrf, **fields)
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert message in refused.text  # type: ignore[attr-defined]
    # The form keeps what was typed, to mend it.
    typed = {"display_name": "Robin Reception", "email": ROBIN, **fields}
    assert f'value="{typed["email"]}"' in refused.text  # type: ignore[attr-defined]
    assert _invitations(db) == []
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_an_invitation_that_is_not_there_answers_404_to_send_again_and_withdraw(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    for invitation_id in (str(uuid.uuid4()), "not-an-invitation"):
        for action in ("send-again", "withdraw"):
            answer = client.post(
                f"/admin/invitations/{invitation_id}/{action}",
                data={"csrf_token": csrf},
                headers={"Accept": "text/html"},
            )
            assert answer.status_code == 404, (invitation_id, action)
            assert "There is no such invitation in your organisation." in answer.text
    assert _invitation_audits(db) == []


def test_a_withdrawn_invitation_is_not_sent_again_and_withdrawing_twice_changes_nothing(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    assert _invite(client, csrf).status_code == 200  # type: ignore[attr-defined]
    [invitation] = _invitations(db)
    url = f"/admin/invitations/{invitation.id}"
    assert client.post(f"{url}/withdraw", data={"csrf_token": csrf}).status_code == 200
    withdrawn_at = _invitations(db)[0].withdrawn_at
    assert withdrawn_at is not None
    again = client.post(f"{url}/withdraw", data={"csrf_token": csrf})
    assert again.status_code == 200
    assert _invitations(db)[0].withdrawn_at == withdrawn_at
    sent = client.post(f"{url}/send-again", data={"csrf_token": csrf})
    assert sent.status_code == 409
    assert "This invitation was withdrawn. Invite the person again instead." in sent.text
    assert _invitation_audits(db) == ["create", "delete"]
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_an_accepted_invitation_is_neither_sent_again_nor_withdrawn(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    _invite(client, csrf)
    [invitation] = _invitations(db)
    invitation.accepted_at = utcnow()
    db.commit()
    url = f"/admin/invitations/{invitation.id}"
    sent = client.post(f"{url}/send-again", data={"csrf_token": csrf})
    assert sent.status_code == 409
    assert "This invitation was accepted already; the person can sign in." in sent.text
    withdrawn = client.post(f"{url}/withdraw", data={"csrf_token": csrf})
    assert withdrawn.status_code == 409
    assert "disable the account instead if the person should not sign in" in withdrawn.text
    assert _invitations(db)[0].withdrawn_at is None
    assert _invitation_audits(db) == ["create"]


def test_an_invitation_is_not_sent_again_to_an_address_someone_now_signs_in_with(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    _invite(client, csrf)
    [invitation] = _invitations(db)
    create_staff(db, world.org, Role.COORDINATOR, email=ROBIN)
    db.commit()
    sent = client.post(f"/admin/invitations/{invitation.id}/send-again", data={"csrf_token": csrf})
    assert sent.status_code == 409
    assert "Someone already signs in with this email address." in sent.text
    assert _invitation_audits(db) == ["create"]
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_a_role_that_does_not_exist_is_refused_and_a_person_not_here_is_404(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    coordinator = world.users[Role.COORDINATOR]
    for role in ("boss", "client"):
        refused = client.post(
            f"/admin/users/{coordinator.id}/role", data={"csrf_token": csrf, "role": role}
        )
        assert refused.status_code == 422
        assert "Choose one of the staff roles" in refused.text
    db.expire_all()
    assert db.get_one(User, coordinator.id).role is Role.COORDINATOR
    for user_id in (str(uuid.uuid4()), "someone"):
        for action, data in (("role", {"role": "clinician"}), ("disable", {})):
            answer = client.post(
                f"/admin/users/{user_id}/{action}",
                data={"csrf_token": csrf, **data},
                headers={"Accept": "text/html"},
            )
            assert answer.status_code == 404, (user_id, action)
            assert "There is no such person in your organisation." in answer.text


def test_an_administrator_does_not_change_their_own_role(
    client: TestClient, world: World, db: Session
) -> None:
    admin = world.users[Role.ADMIN]
    csrf = sign_in(client, admin)
    refused = client.post(
        f"/admin/users/{admin.id}/role", data={"csrf_token": csrf, "role": "clinician"}
    )
    assert refused.status_code == 422
    assert "You cannot change your own role; ask another administrator." in refused.text
    db.expire_all()
    assert db.get_one(User, admin.id).role is Role.ADMIN


def test_a_site_that_is_not_there_answers_404_and_a_bad_zone_changes_nothing(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    added = client.post(
        "/admin/sites", data={"csrf_token": csrf, "name": "North", "timezone": "Europe/London"}
    )
    assert added.status_code == 200
    db.expire_all()
    site = db.scalars(select(Site).where(Site.name == "North")).one()
    for site_id in (str(uuid.uuid4()), "north"):
        answer = client.post(
            f"/admin/sites/{site_id}",
            data={"csrf_token": csrf, "name": "South", "timezone": "Europe/Dublin"},
            headers={"Accept": "text/html"},
        )
        assert answer.status_code == 404, site_id
    bad = client.post(
        f"/admin/sites/{site.id}",
        data={"csrf_token": csrf, "name": "North Street", "timezone": "Mars/Olympus"},
    )
    assert bad.status_code == 422
    assert "not a time zone we know" in bad.text
    db.expire_all()
    kept = db.get_one(Site, site.id)
    assert (kept.name, kept.timezone) == ("North", "Europe/London")


def test_a_lead_declines_a_reset_once_and_a_reset_not_there_is_404(
    client: TestClient, world: World, db: Session
) -> None:
    now = utcnow()
    admin, lead = world.users[Role.ADMIN], world.users[Role.CLINICAL_LEAD]
    person = create_staff(db, world.org, Role.CLINICAL_LEAD)  # leads have a second factor
    reset = second_factor_resets.request_reset(
        db,
        actor=actor_for(db, admin, now),
        by=admin,
        user_id=person.id,
        reason="Lost their phone on the train",
        link_base="https://clinic.test",
        now=now,
    )
    db.commit()
    csrf = sign_in(client, lead)
    page = client.get("/second-factor-resets")
    assert page.status_code == 200
    assert person.display_name in page.text
    for reset_id in (str(uuid.uuid4()), "a-reset"):
        for decision in ("approve", "decline"):
            answer = client.post(
                f"/second-factor-resets/{reset_id}/{decision}",
                data={"csrf_token": csrf},
                headers={"Accept": "text/html"},
            )
            assert answer.status_code == 404, (reset_id, decision)
            assert "There is no such request in your organisation." in answer.text
    declined = client.post(f"/second-factor-resets/{reset.id}/decline", data={"csrf_token": csrf})
    assert declined.status_code == 200
    approved = client.post(f"/second-factor-resets/{reset.id}/approve", data={"csrf_token": csrf})
    assert approved.status_code == 409
    assert "This request was decided already." in approved.text
    db.expire_all()
    assert db.get_one(SecondFactorReset, reset.id).status is ResetStatus.DECLINED
    assert db.get_one(User, person.id).totp_enabled is True


def test_an_overlong_invitation_link_is_refused_in_words(client: TestClient) -> None:
    opened = client.get("/invitations/" + "x" * 201, headers={"Accept": "text/html"})
    assert opened.status_code == 404
    assert "This invitation link does not work any more" in opened.text


def test_the_invitation_email_gives_the_expiry_in_utc_when_the_clinic_zone_is_unknown(
    client: TestClient, world: World, db: Session
) -> None:
    """A zone name the machine's time zone data no longer knows still sends the email."""
    world.org.timezone = "Atlantis/Lost_City"
    db.commit()
    csrf = sign_in(client, world.users[Role.ADMIN])
    assert _invite(client, csrf).status_code == 200  # type: ignore[attr-defined]
    [invitation] = _invitations(db)
    [email] = db.scalars(select(OutboxMessage)).all()
    expires = invitation.expires_at.astimezone(UTC)
    assert f"until {expires.strftime('%A %d %B %Y at %H:%M')} UTC:" in " ".join(email.body.split())
