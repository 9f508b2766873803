"""Inviting staff: the administrator names a colleague and a role, Alongside emails a
single-use link (through the outbox, delivered to a real SMTP server here), and the colleague
chooses their own password with it; roles that need a second factor set it up before their
first session. Used, withdrawn, replaced and expired links are refused in words."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alongside.accounts import invitations
from alongside.config import Settings
from alongside.deps import SESSION_COOKIE
from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.kit.time import utcnow
from alongside.models import (
    AuditEvent,
    InvitationState,
    OutboxMessage,
    OutboxStatus,
    Role,
    StaffInvitation,
    User,
)
from alongside.notify.email import SmtpEmailSender
from alongside.notify.worker import deliver_due
from alongside.security.access import actor_for
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in
from tests.notify.notify_support import WAIT_S, smtp_server

NEW_PASSWORD = "a long and unusual passphrase 42"


def _invite(
    client: TestClient, csrf: str, *, email: str = "robin@clinic.test", role: str = "coordinator"
) -> object:
    return client.post(
        "/admin/invitations",
        data={"csrf_token": csrf, "display_name": "Robin Reception", "email": email, "role": role},
    )


def _link_token(db: Session, invitation: StaffInvitation) -> str:
    db.expire_all()
    messages = db.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == invitations.KIND)
        .order_by(OutboxMessage.created_at)
    ).all()
    mine = [m for m in messages if m.payload.get("invitation_id") == str(invitation.id)]
    found = re.search(r"/invitations/(\S+)", mine[-1].body)
    assert found is not None
    return found.group(1)


def _invitation(db: Session, email: str = "robin@clinic.test") -> StaffInvitation:
    db.expire_all()
    return db.scalars(select(StaffInvitation).where(StaffInvitation.email == email)).one()


def test_an_invitation_is_emailed_through_the_outbox_to_a_real_smtp_server(
    db: Session,
    world: World,
    client: TestClient,
    settings: Settings,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = world.users[Role.ADMIN]
    csrf = sign_in(client, admin)
    page = client.get("/admin/users")
    assert "Invite a staff member" in page.text
    # The administrator no longer types someone's first password.
    assert 'name="password"' not in page.text
    sent = _invite(client, csrf, email="Robin@Clinic.test")
    assert sent.status_code == 200, sent.text
    assert "The invitation was sent" in sent.text
    assert "Waiting: the link works until" in sent.text

    invitation = _invitation(db)
    assert invitation.role is Role.COORDINATOR
    assert invitation.organization_id == world.org.id
    assert invitation.expires_at - invitation.sent_at == timedelta(days=7)
    token = _link_token(db, invitation)
    # Only the token's hash is stored with the invitation.
    assert invitation.token_hash == invitations.token_hash(token)
    assert token not in invitation.token_hash
    [message] = db.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == invitations.KIND)
    ).all()
    link = f"{settings.effective_public_url}/invitations/{token}"
    assert message.recipient == "robin@clinic.test"
    assert link in message.body
    assert admin.display_name in message.body
    assert token not in str(message.payload)
    assert token not in message.idempotency_key
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.resource_type == "staff_invitation")
    ).all()
    assert [(e.action, e.actor_id) for e in events] == [("create", admin.id)]

    with smtp_server() as sink:
        sender = SmtpEmailSender(host="127.0.0.1", port=sink.port, sender="clinic@clinic.test")
        tried = deliver_due(session_factory, now=utcnow(), senders={"email": sender})
        assert sink.arrived.wait(WAIT_S)
    assert tried == 1
    [email] = sink.messages
    assert email["To"] == "robin@clinic.test"
    assert "invited" in email["Subject"]
    assert link in email.get_content()
    db.expire_all()
    delivered = db.get(OutboxMessage, message.id)
    assert delivered is not None
    assert delivered.status is OutboxStatus.DELIVERED
    # Never the address or the token in Alongside's own logs (aiosmtpd's "mail.log" is the
    # receiving server: it stands for the world).
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in ours)
    assert "robin@clinic.test" not in logged.lower()
    assert token not in logged


def test_the_invitee_chooses_a_password_and_is_signed_in_once(
    db: Session, world: World, client: TestClient, app: object
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    _invite(client, csrf)
    invitation = _invitation(db)
    token = _link_token(db, invitation)
    with TestClient(app, raise_server_exceptions=False) as theirs:  # type: ignore[arg-type]
        opened = theirs.get(f"/invitations/{token}")
        assert opened.status_code == 200
        assert "Choose your password" in opened.text
        assert "robin@clinic.test" in opened.text
        assert "intake coordinator" in opened.text
        different = theirs.post(
            f"/invitations/{token}",
            data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD + "!"},
        )
        assert different.status_code == 422
        assert "The two passwords are not the same" in different.text
        weak = theirs.post(
            f"/invitations/{token}", data={"password": "password", "password_again": "password"}
        )
        assert weak.status_code == 422
        assert "Password not accepted" in weak.text
        assert db.scalar(select(User).where(User.email == "robin@clinic.test")) is None
        accepted = theirs.post(
            f"/invitations/{token}",
            data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
            follow_redirects=False,
        )
        assert accepted.status_code == 303
        assert accepted.headers["location"] == "/home"
        assert SESSION_COOKIE in accepted.cookies
        assert theirs.get("/scheduling/waitlist").status_code == 200
        again = theirs.get(f"/invitations/{token}")
        assert again.status_code == 404
        assert "was used already" in again.text
        reused = theirs.post(
            f"/invitations/{token}",
            data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
        )
        assert reused.status_code == 404
    user = db.scalars(select(User).where(User.email == "robin@clinic.test")).one()
    assert user.role is Role.COORDINATOR
    assert user.display_name == "Robin Reception"
    assert not user.totp_setup_required
    invitation = _invitation(db)
    assert invitation.state(utcnow()) is InvitationState.ACCEPTED
    assert invitation.user_id == user.id
    page = client.get("/admin/users")
    assert "Accepted on" in page.text
    kinds = {
        (e.resource_type, e.action)
        for e in db.scalars(select(AuditEvent).where(AuditEvent.actor_id == user.id))
    }
    assert {("user", "create"), ("staff_invitation", "update")} <= kinds


def test_an_expired_link_is_refused_and_sending_again_replaces_it(
    db: Session, world: World, client: TestClient
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    _invite(client, csrf)
    invitation = _invitation(db)
    old = _link_token(db, invitation)
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.commit()
    expired = client.get(f"/invitations/{old}")
    assert expired.status_code == 404
    assert "This invitation has expired" in expired.text
    refused = client.post(
        f"/invitations/{old}", data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert refused.status_code == 404
    assert "Expired on" in client.get("/admin/users").text

    again = client.post(f"/admin/invitations/{invitation.id}/send-again", data={"csrf_token": csrf})
    assert again.status_code == 200
    assert "sent again with a new link" in again.text
    new = _link_token(db, _invitation(db))
    assert new != old
    assert client.get(f"/invitations/{old}").status_code == 404
    assert client.get(f"/invitations/{new}").status_code == 200
    assert _invitation(db).state(utcnow()) is InvitationState.WAITING


def test_a_withdrawn_invitation_stops_working(
    db: Session, world: World, client: TestClient
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    _invite(client, csrf)
    invitation = _invitation(db)
    token = _link_token(db, invitation)
    withdrawn = client.post(
        f"/admin/invitations/{invitation.id}/withdraw", data={"csrf_token": csrf}
    )
    assert withdrawn.status_code == 200
    assert "Withdrawn on" in withdrawn.text
    refused = client.get(f"/invitations/{token}")
    assert refused.status_code == 404
    assert "withdrawn" in refused.text
    actions = [
        e.action
        for e in db.scalars(
            select(AuditEvent).where(AuditEvent.resource_type == "staff_invitation")
        )
    ]
    assert actions == ["create", "delete"]


def test_a_taken_address_or_a_waiting_invitation_is_refused_in_words(
    db: Session, world: World, client: TestClient
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    taken = _invite(client, csrf, email=world.users[Role.CLINICIAN].email)
    assert taken.status_code == 409
    assert "Someone already signs in with this email address." in taken.text
    assert _invite(client, csrf).status_code == 200
    twice = _invite(client, csrf)
    assert twice.status_code == 409
    assert "already waiting" in twice.text
    client_role = _invite(client, csrf, email="x@clinic.test", role="client")
    assert client_role.status_code == 422
    assert "Choose one of the staff roles: clinician, intake coordinator" in client_role.text


def test_another_organisations_invitation_is_not_there(db: Session, world: World) -> None:
    now = utcnow()
    admin = world.users[Role.ADMIN]
    invitation = invitations.invite(
        db,
        actor=actor_for(db, admin, now),
        by=admin,
        email="sam@clinic.test",
        display_name="Sam",
        role=Role.CLINICIAN,
        link_base="https://clinic.test",
        now=now,
    )
    from tests.fixtures.factories import create_staff

    foreign_admin = create_staff(db, world.other_org, Role.ADMIN)
    foreign = actor_for(db, foreign_admin, now)
    with pytest.raises(NotFound):
        invitations.withdraw(
            db, actor=foreign, by=foreign_admin, invitation_id=invitation.id, now=now
        )
    with pytest.raises(NotFound):
        invitations.send_again(
            db,
            actor=foreign,
            by=foreign_admin,
            invitation_id=invitation.id,
            link_base="https://clinic.test",
            now=now,
        )
    assert [r.invitation.id for r in invitations.organisation_invitations(db, foreign, now)] == []
    lead = world.users[Role.CLINICAL_LEAD]
    with pytest.raises(NotFound):
        invitations.organisation_invitations(db, actor_for(db, lead, now), now)


def test_accepting_twice_is_refused_by_the_service(db: Session, world: World) -> None:
    now = utcnow()
    admin = world.users[Role.ADMIN]
    invitation = invitations.invite(
        db,
        actor=actor_for(db, admin, now),
        by=admin,
        email="kim@clinic.test",
        display_name="Kim",
        role=Role.CLINICIAN,
        link_base="https://clinic.test",
        now=now,
    )
    token = _link_token(db, invitation)
    with pytest.raises(InvalidInput):
        invitations.accept(
            db, token=token, password="short", password_again="short", now=now, demo=False
        )
    invitations.accept(
        db, token=token, password=NEW_PASSWORD, password_again=NEW_PASSWORD, now=now, demo=False
    )
    with pytest.raises(NotFound, match="used already"):
        invitations.accept(
            db,
            token=token,
            password=NEW_PASSWORD,
            password_again=NEW_PASSWORD,
            now=now,
            demo=False,
        )
    with pytest.raises(Conflict):
        invitations.withdraw(
            db,
            actor=actor_for(db, admin, now),
            by=admin,
            invitation_id=invitation.id,
            now=now,
        )


def test_a_lead_sets_up_the_second_factor_before_the_first_session(
    db: Session, world: World, client: TestClient, app: object
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    assert _invite(client, csrf, email="lee@clinic.test", role="clinical_lead").status_code == 200
    token = _link_token(db, _invitation(db, "lee@clinic.test"))
    with TestClient(app, raise_server_exceptions=False) as theirs:  # type: ignore[arg-type]
        assert "second factor" in theirs.get(f"/invitations/{token}").text
        step = theirs.post(
            f"/invitations/{token}",
            data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
            follow_redirects=False,
        )
        assert step.status_code == 200
        assert "Set up your second factor" in step.text
        assert SESSION_COOKIE not in step.cookies
        assert theirs.get("/dashboard", follow_redirects=False).status_code in (303, 401)
        secret = re.search(r'id="setup-secret">([A-Z2-7]+)<', step.text)
        ticket = re.search(r'name="step" value="([^"]+)"', step.text)
        assert secret is not None
        assert ticket is not None
        wrong = theirs.post(
            "/login/second-factor", data={"step": ticket.group(1), "code": "000000"}
        )
        assert wrong.status_code == 422
        assert "That code is not right" in wrong.text
        # The same key is shown again, not a new one the app does not have.
        assert secret.group(1) in wrong.text
        done = theirs.post(
            "/login/second-factor",
            data={"step": ticket.group(1), "code": pyotp.TOTP(secret.group(1)).now()},
        )
        assert done.status_code == 200
        assert "Your second factor is on" in done.text
        assert len(re.findall(r"<li><code>", done.text)) == 10
        assert SESSION_COOKIE in done.cookies
        assert theirs.get("/dashboard").status_code == 200
        # The step is finished: it cannot turn on another app.
        replay = theirs.post(
            "/login/second-factor",
            data={"step": ticket.group(1), "code": pyotp.TOTP(secret.group(1)).now()},
        )
        assert replay.status_code == 422
        assert "timed out or was already finished" in replay.text
    lee = db.scalars(select(User).where(User.email == "lee@clinic.test")).one()
    db.refresh(lee)
    assert lee.totp_enabled
    assert not lee.totp_setup_required
