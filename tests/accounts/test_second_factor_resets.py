"""Resetting a second factor takes two people: an administrator asks with a reason, a clinical
lead approves or declines. Nothing changes before the approval; nobody decides their own
request or their own reset; on approval the factor and recovery codes go, the person is signed
out and emailed, and their next sign-in sets up a new factor before any session."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alongside.accounts import second_factor_resets
from alongside.accounts.service import change_role, start_session
from alongside.config import Settings
from alongside.deps import SESSION_COOKIE
from alongside.errors import Conflict, NotFound
from alongside.kit.time import utcnow
from alongside.models import (
    AuditEvent,
    OutboxMessage,
    RecoveryCode,
    ResetStatus,
    Role,
    SecondFactorReset,
    User,
    UserSession,
)
from alongside.models.encrypted import keyring_for
from alongside.security.access import actor_for
from alongside.security.mfa import begin_enrolment
from tests.fixtures.factories import PASSWORD, World, create_staff
from tests.fixtures.web import sign_in, totp_code

REASON = "Lost their phone on the train"
LINK = "https://clinic.test"


def _ask(client: TestClient, csrf: str, person: User, reason: str = REASON) -> object:
    return client.post(
        f"/admin/users/{person.id}/second-factor-reset",
        data={"csrf_token": csrf, "reason": reason},
    )


def _waiting(db: Session) -> SecondFactorReset:
    db.expire_all()
    return db.scalars(
        select(SecondFactorReset).where(SecondFactorReset.status == ResetStatus.WAITING)
    ).one()


def test_an_administrator_asks_and_nothing_changes_before_a_lead_decides(
    db: Session, world: World, client: TestClient, app: object
) -> None:
    person = world.users[Role.CLINICAL_LEAD]
    second_lead = create_staff(db, world.org, Role.CLINICAL_LEAD)
    db.commit()
    csrf = sign_in(client, world.users[Role.ADMIN])
    no_reason = _ask(client, csrf, person, reason="  ")
    assert no_reason.status_code == 422
    assert "Reason: say why" in no_reason.text
    asked = _ask(client, csrf, person)
    assert asked.status_code == 200
    assert "A clinical lead has been asked to approve the reset" in asked.text
    assert "Reset waiting for a clinical lead" in asked.text
    twice = _ask(client, csrf, person)
    assert twice.status_code == 409
    assert "already waiting" in twice.text
    reset = _waiting(db)
    db.refresh(person)
    assert person.totp_enabled
    # The administrator has no way to decide it.
    assert client.get("/second-factor-resets").status_code == 404
    approve = client.post(f"/second-factor-resets/{reset.id}/approve", data={"csrf_token": csrf})
    assert approve.status_code == 404
    db.refresh(person)
    assert person.totp_enabled
    # The person still signs in with their code while it waits.
    with TestClient(app, raise_server_exceptions=False) as theirs:  # type: ignore[arg-type]
        sign_in(theirs, person)
    with TestClient(app, raise_server_exceptions=False) as lead:  # type: ignore[arg-type]
        sign_in(lead, second_lead)
        page = lead.get("/second-factor-resets")
        assert page.status_code == 200
        assert person.display_name in page.text
        assert REASON in page.text
        assert world.users[Role.ADMIN].display_name in page.text


def test_a_lead_approves_the_factor_goes_and_the_person_is_told(
    db: Session, world: World, client: TestClient, app: object
) -> None:
    person = world.users[Role.CLINICIAN]
    lead = world.users[Role.CLINICAL_LEAD]
    # A clinician with a second factor of their own and a session open.
    begin_enrolment(person, keyring_for(db).provider)
    person.totp_enabled = True
    db.add(RecoveryCode(user_id=person.id, code_hash="x"))
    db.commit()
    with TestClient(app, raise_server_exceptions=False) as theirs:  # type: ignore[arg-type]
        tokens = start_session(db, person, utcnow())
        db.commit()
        theirs.cookies.set(SESSION_COOKIE, tokens.session_token)
        assert theirs.get("/home").status_code == 200
        csrf = sign_in(client, world.users[Role.ADMIN])
        assert _ask(client, csrf, person).status_code == 200
        reset = _waiting(db)
        with TestClient(app, raise_server_exceptions=False) as lead_client:  # type: ignore[arg-type]
            lead_csrf = sign_in(lead_client, lead)
            approved = lead_client.post(
                f"/second-factor-resets/{reset.id}/approve", data={"csrf_token": lead_csrf}
            )
            assert approved.status_code == 200
            assert "Approved. The second factor was removed" in approved.text
            assert "Recently decided" in approved.text
            again = lead_client.post(
                f"/second-factor-resets/{reset.id}/approve", data={"csrf_token": lead_csrf}
            )
            assert again.status_code == 409
            assert "decided already" in again.text
        # Signed out everywhere.
        assert theirs.get("/home", follow_redirects=False).status_code != 200
    db.expire_all()
    person = db.get(User, person.id)
    assert person is not None
    assert not person.totp_enabled
    assert person.totp_secret_ct is None
    assert person.totp_setup_required
    assert db.scalar(select(func.count()).where(RecoveryCode.user_id == person.id)) == 0
    assert db.scalar(select(func.count()).where(UserSession.user_id == person.id)) == 0
    [mail] = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "account_security")).all()
    assert mail.recipient == person.email
    assert "second factor" in mail.subject
    kinds = [
        (e.resource_type, e.action, e.actor_id)
        for e in db.scalars(
            select(AuditEvent)
            .where(AuditEvent.resource_type.in_(["second_factor_reset", "second_factor"]))
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
    ]
    admin = world.users[Role.ADMIN]
    assert ("second_factor_reset", "create", admin.id) in kinds
    assert ("second_factor_reset", "decide", lead.id) in kinds
    assert ("second_factor", "delete", lead.id) in kinds
    assert "Sets a new one at next sign-in" in client.get("/admin/users").text


def test_after_approval_the_next_sign_in_sets_up_a_new_factor_first(
    db: Session, world: World, client: TestClient, app: object
) -> None:
    person = world.users[Role.ADMIN]
    now = utcnow()
    lead = world.users[Role.CLINICAL_LEAD]
    other_admin = create_staff(db, world.org, Role.ADMIN)
    reset = second_factor_resets.request_reset(
        db,
        actor=actor_for(db, other_admin, now),
        by=other_admin,
        user_id=person.id,
        reason=REASON,
        link_base=LINK,
        now=now,
    )
    second_factor_resets.decide(
        db, actor=actor_for(db, lead, now), by=lead, reset_id=reset.id, approve=True, now=now
    )
    db.commit()
    # The API cannot start a session before the set-up, even with the right password.
    api = client.post("/api/session", json={"email": person.email, "password": PASSWORD})
    assert api.status_code == 401
    assert "set up again" in api.text
    page = client.post(
        "/login",
        data={"email": person.email, "password": PASSWORD, "next": "/admin/users"},
        follow_redirects=False,
    )
    assert page.status_code == 200
    assert "Set up your second factor" in page.text
    assert SESSION_COOKIE not in page.cookies
    wrong_password = client.post(
        "/login", data={"email": person.email, "password": "not it"}, follow_redirects=False
    )
    assert wrong_password.status_code == 401
    secret = re.search(r'id="setup-secret">([A-Z2-7]+)<', page.text)
    step = re.search(r'name="step" value="([^"]+)"', page.text)
    assert secret is not None
    assert step is not None
    forged = step.group(1)[:-4] + ("0000" if not step.group(1).endswith("0000") else "1111")
    refused = client.post(
        "/login/second-factor",
        data={"step": forged, "code": pyotp.TOTP(secret.group(1)).now()},
    )
    assert refused.status_code == 422
    assert "Sign in again" in refused.text
    done = client.post(
        "/login/second-factor",
        data={
            "step": step.group(1),
            "code": pyotp.TOTP(secret.group(1)).now(),
            "next": "/admin/users",
        },
    )
    assert done.status_code == 200
    assert 'href="/admin/users"' in done.text
    assert client.get("/admin/users").status_code == 200
    db.expire_all()
    person = db.get(User, person.id)
    assert person is not None
    assert person.totp_enabled
    assert not person.totp_setup_required


def test_a_declined_reset_changes_nothing(db: Session, world: World) -> None:
    now = utcnow()
    admin, lead = world.users[Role.ADMIN], world.users[Role.CLINICAL_LEAD]
    person = create_staff(db, world.org, Role.ADMIN)
    reset = second_factor_resets.request_reset(
        db,
        actor=actor_for(db, admin, now),
        by=admin,
        user_id=person.id,
        reason=REASON,
        link_base=LINK,
        now=now,
    )
    second_factor_resets.decide(
        db, actor=actor_for(db, lead, now), by=lead, reset_id=reset.id, approve=False, now=now
    )
    assert reset.status is ResetStatus.DECLINED
    assert person.totp_enabled
    assert not person.totp_setup_required
    assert totp_code(person) is not None


def test_nobody_decides_their_own_request_or_their_own_reset(db: Session, world: World) -> None:
    now = utcnow()
    admin, lead = world.users[Role.ADMIN], world.users[Role.CLINICAL_LEAD]
    # The lead's own factor: another lead must decide.
    own = second_factor_resets.request_reset(
        db,
        actor=actor_for(db, admin, now),
        by=admin,
        user_id=lead.id,
        reason=REASON,
        link_base=LINK,
        now=now,
    )
    with pytest.raises(Conflict, match="your own second factor"):
        second_factor_resets.decide(
            db, actor=actor_for(db, lead, now), by=lead, reset_id=own.id, approve=True, now=now
        )
    # An administrator who asked and later became a clinical lead cannot approve it.
    person = create_staff(db, world.org, Role.COORDINATOR)
    begin_enrolment(person, keyring_for(db).provider)
    person.totp_enabled = True
    asked = second_factor_resets.request_reset(
        db,
        actor=actor_for(db, admin, now),
        by=admin,
        user_id=person.id,
        reason=REASON,
        link_base=LINK,
        now=now,
    )
    change_role(db, admin, Role.CLINICAL_LEAD, by=None, now=now)
    with pytest.raises(Conflict, match="You asked for this reset"):
        second_factor_resets.decide(
            db, actor=actor_for(db, admin, now), by=admin, reset_id=asked.id, approve=True, now=now
        )
    db.refresh(lead)
    assert lead.totp_enabled
    assert person.totp_enabled
    assert own.status is ResetStatus.WAITING
    assert asked.status is ResetStatus.WAITING


def test_the_page_refuses_self_approval_in_words(
    db: Session, world: World, client: TestClient
) -> None:
    now = utcnow()
    admin, lead = world.users[Role.ADMIN], world.users[Role.CLINICAL_LEAD]
    reset = second_factor_resets.request_reset(
        db,
        actor=actor_for(db, admin, now),
        by=admin,
        user_id=lead.id,
        reason=REASON,
        link_base=LINK,
        now=now,
    )
    db.commit()
    csrf = sign_in(client, lead)
    page = client.get("/second-factor-resets")
    assert "Another clinical lead decides this one." in page.text
    refused = client.post(f"/second-factor-resets/{reset.id}/approve", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert "another clinical lead decides it" in refused.text
    db.refresh(lead)
    assert lead.totp_enabled


def test_a_person_without_a_factor_or_of_another_organisation_is_refused(
    db: Session, world: World
) -> None:
    now = utcnow()
    admin = world.users[Role.ADMIN]
    me = actor_for(db, admin, now)
    with pytest.raises(Conflict, match="no second factor"):
        second_factor_resets.request_reset(
            db,
            actor=me,
            by=admin,
            user_id=world.users[Role.CLINICIAN].id,
            reason=REASON,
            link_base=LINK,
            now=now,
        )
    foreign = create_staff(db, world.other_org, Role.ADMIN)
    with pytest.raises(NotFound):
        second_factor_resets.request_reset(
            db, actor=me, by=admin, user_id=foreign.id, reason=REASON, link_base=LINK, now=now
        )
    foreign_lead = create_staff(db, world.other_org, Role.CLINICAL_LEAD)
    reset = second_factor_resets.request_reset(
        db,
        actor=me,
        by=admin,
        user_id=world.users[Role.CLINICAL_LEAD].id,
        reason=REASON,
        link_base=LINK,
        now=now,
    )
    with pytest.raises(NotFound):
        second_factor_resets.decide(
            db,
            actor=actor_for(db, foreign_lead, now),
            by=foreign_lead,
            reset_id=reset.id,
            approve=True,
            now=now,
        )
    clinician = world.users[Role.CLINICIAN]
    with pytest.raises(NotFound):
        second_factor_resets.decide(
            db,
            actor=actor_for(db, clinician, now),
            by=clinician,
            reset_id=reset.id,
            approve=True,
            now=now,
        )


def test_the_leads_who_can_decide_are_emailed_a_link_to_the_page(
    db: Session, world: World, client: TestClient, app: object, settings: Settings
) -> None:
    world.org.timezone = "Europe/London"
    lead = world.users[Role.CLINICAL_LEAD]
    lead.timezone = "Asia/Tokyo"
    second_lead = create_staff(db, world.org, Role.CLINICAL_LEAD)
    # Not told: a lead who left, a lead of another organisation, and the person themself.
    gone = create_staff(db, world.org, Role.CLINICAL_LEAD)
    gone.is_active = False
    create_staff(db, world.other_org, Role.CLINICAL_LEAD)
    person = create_staff(db, world.org, Role.CLINICAL_LEAD)
    db.commit()
    admin = world.users[Role.ADMIN]
    csrf = sign_in(client, admin)
    assert _ask(client, csrf, person).status_code == 200
    reset = _waiting(db)
    mails = db.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "second_factor_reset_waiting")
    ).all()
    assert sorted(m.recipient for m in mails) == sorted([lead.email, second_lead.email])
    link = f"{settings.effective_public_url}/second-factor-resets"
    for mail in mails:
        assert mail.subject == "A sign-in reset is waiting for your approval"
        assert link in mail.body
        assert admin.display_name in mail.body
        assert person.display_name in mail.body
        # No client anywhere in it, and the reason stays on the page.
        assert mail.client_id is None
        assert REASON not in mail.body
        for someone in (world.own_client, world.outside_client):
            assert someone.family_name not in mail.body
        assert mail.payload == {"reset_id": str(reset.id)}
    # Each lead reads the time on their own clock.
    to_lead = next(m for m in mails if m.recipient == lead.email)
    asked = reset.requested_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"at {asked:%H:%M} JST (Asia/Tokyo)" in to_lead.body
    to_second = next(m for m in mails if m.recipient == second_lead.email)
    assert "(Europe/London)" in to_second.body
    # The link leads to the page where they decide, after signing in.
    with TestClient(app, raise_server_exceptions=False) as theirs:  # type: ignore[arg-type]
        redirected = theirs.get("/second-factor-resets", follow_redirects=False)
        assert redirected.status_code in (302, 303)
        sign_in(theirs, second_lead)
        page = theirs.get("/second-factor-resets")
        assert person.display_name in page.text
        assert REASON in page.text


def test_a_refused_request_emails_nobody(db: Session, world: World) -> None:
    now = utcnow()
    admin = world.users[Role.ADMIN]
    with pytest.raises(Conflict, match="no second factor"):
        second_factor_resets.request_reset(
            db,
            actor=actor_for(db, admin, now),
            by=admin,
            user_id=world.users[Role.CLINICIAN].id,
            reason=REASON,
            link_base=LINK,
            now=now,
        )
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0
