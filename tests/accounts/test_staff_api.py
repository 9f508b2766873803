"""The staff API mirrors the Staff and Sign-in resets pages: an administrator invites, sends
again and withdraws invitations and asks for second-factor resets; a clinical lead lists and
decides them. The same services (so the same emails, audits and refusals in words) and the
same declared permissions: 404 for every other role and for another organisation's objects."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alongside.accounts import invitations, second_factor_resets
from alongside.config import Settings
from alongside.errors import NotFound
from alongside.kit.time import utcnow
from alongside.models import (
    AuditEvent,
    InvitationState,
    OutboxMessage,
    ResetStatus,
    Role,
    SecondFactorReset,
    StaffInvitation,
    User,
)
from alongside.models.encrypted import keyring_for
from alongside.security.access import actor_for
from alongside.security.mfa import begin_enrolment
from tests.fixtures.factories import World, create_staff
from tests.fixtures.web import sign_in

NEWCOMER = {"email": "robin@clinic.test", "display_name": "Robin Reception", "role": "coordinator"}


def _signed_in(app: FastAPI, user: User) -> tuple[TestClient, dict[str, str]]:
    http = TestClient(app, raise_server_exceptions=False)
    return http, {"X-CSRF-Token": sign_in(http, user)}


def _mails(db: Session, kind: str) -> list[OutboxMessage]:
    db.expire_all()
    return list(
        db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == kind)
            .order_by(OutboxMessage.created_at)
        )
    )


def test_an_administrator_invites_sends_again_and_withdraws_through_the_api(
    db: Session, world: World, app: FastAPI, settings: Settings
) -> None:
    admin = world.users[Role.ADMIN]
    http, headers = _signed_in(app, admin)
    created = http.post("/api/invitations", json=NEWCOMER, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["state"] == "waiting"
    assert body["role"] == "coordinator"
    assert body["invited_by"] == admin.display_name
    assert "token" not in created.text
    [first] = _mails(db, invitations.KIND)
    assert first.recipient == "robin@clinic.test"
    assert f"{settings.effective_public_url}/invitations/" in first.body
    listed = http.get("/api/invitations", headers=headers)
    assert listed.status_code == 200
    assert [i["email"] for i in listed.json()] == ["robin@clinic.test"]

    again = http.post(f"/api/invitations/{body['id']}/send-again", headers=headers)
    assert again.status_code == 200, again.text
    mails = _mails(db, invitations.KIND)
    assert len(mails) == 2
    old_token = re.search(r"/invitations/(\S+)", first.body)
    assert old_token is not None
    # The first link stops working once it is sent again.
    assert http.get(f"/invitations/{old_token.group(1)}").status_code == 404

    withdrawn = http.post(f"/api/invitations/{body['id']}/withdraw", headers=headers)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["state"] == "withdrawn"
    assert withdrawn.json()["withdrawn_at"] is not None
    refused = http.post(f"/api/invitations/{body['id']}/send-again", headers=headers)
    assert refused.status_code == 409
    assert "withdrawn" in refused.json()["error"]
    audited = db.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.resource_type == "staff_invitation", AuditEvent.actor_id == admin.id)
    )
    assert audited == 3


def test_the_api_refuses_bad_invitations_in_words(db: Session, world: World, app: FastAPI) -> None:
    http, headers = _signed_in(app, world.users[Role.ADMIN])
    client_role = http.post(
        "/api/invitations", json={**NEWCOMER, "role": "client"}, headers=headers
    )
    assert client_role.status_code == 422
    assert "Choose one of the staff roles" in client_role.json()["error"]
    nonsense = http.post("/api/invitations", json={**NEWCOMER, "role": "boss"}, headers=headers)
    assert nonsense.status_code == 422
    no_name = http.post("/api/invitations", json={**NEWCOMER, "display_name": " "}, headers=headers)
    assert no_name.status_code == 422
    assert "name as colleagues will see it" in no_name.json()["error"]
    bad_address = http.post(
        "/api/invitations", json={**NEWCOMER, "email": "robin at clinic"}, headers=headers
    )
    assert bad_address.status_code == 422
    assert "work email address" in bad_address.json()["error"]
    taken = http.post(
        "/api/invitations",
        json={**NEWCOMER, "email": world.users[Role.CLINICIAN].email},
        headers=headers,
    )
    assert taken.status_code == 409
    assert "already signs in" in taken.json()["error"]
    extra = http.post("/api/invitations", json={**NEWCOMER, "admin": True}, headers=headers)
    assert extra.status_code == 422
    assert db.scalar(select(func.count()).select_from(StaffInvitation)) == 0
    # Positive control: the same body with a staff role is accepted.
    assert http.post("/api/invitations", json=NEWCOMER, headers=headers).status_code == 201


def test_other_roles_and_other_organisations_get_404(
    db: Session, world: World, app: FastAPI
) -> None:
    now = utcnow()
    foreign_admin = create_staff(db, world.other_org, Role.ADMIN)
    foreign = invitations.invite(
        db,
        actor=actor_for(db, foreign_admin, now),
        by=foreign_admin,
        email="elsewhere@clinic.test",
        display_name="Elsewhere",
        role=Role.CLINICIAN,
        link_base="https://clinic.test",
        now=now,
    )
    db.commit()
    for role in (Role.CLINICIAN, Role.COORDINATOR, Role.CLINICAL_LEAD, Role.CLIENT):
        http, headers = _signed_in(app, world.users[role])
        assert http.get("/api/invitations", headers=headers).status_code == 404, role
        assert http.post("/api/invitations", json=NEWCOMER, headers=headers).status_code == 404
        person = world.other_clinician.id
        asked = http.post(
            f"/api/users/{person}/second-factor-reset", json={"reason": "Lost"}, headers=headers
        )
        assert asked.status_code == 404, role
    http, headers = _signed_in(app, world.users[Role.ADMIN])
    for path in (f"/api/invitations/{foreign.id}/send-again", "/api/invitations/nonsense/withdraw"):
        assert http.post(path, headers=headers).status_code == 404
    assert (
        http.post(f"/api/invitations/{uuid.uuid4()}/withdraw", headers=headers).status_code == 404
    )
    # The foreign invitation is untouched, and ours are listed without it.
    db.refresh(foreign)
    assert foreign.state(utcnow()) is InvitationState.WAITING
    assert http.get("/api/invitations", headers=headers).json() == []


def test_an_administrator_asks_and_a_lead_decides_through_the_api(
    db: Session, world: World, app: FastAPI
) -> None:
    admin, lead = world.users[Role.ADMIN], world.users[Role.CLINICAL_LEAD]
    person = world.other_clinician
    begin_enrolment(person, keyring_for(db).provider)
    person.totp_enabled = True
    db.commit()
    admins, admin_headers = _signed_in(app, admin)
    path = f"/api/users/{person.id}/second-factor-reset"
    empty = admins.post(path, json={"reason": "  "}, headers=admin_headers)
    assert empty.status_code == 422
    assert "say why the second factor should be reset" in empty.json()["error"]
    too_long = admins.post(path, json={"reason": "x" * 501}, headers=admin_headers)
    assert too_long.status_code == 422
    asked = admins.post(path, json={"reason": "Lost their phone"}, headers=admin_headers)
    assert asked.status_code == 201, asked.text
    reset = asked.json()
    assert reset["status"] == "waiting"
    assert reset["person"] == person.display_name
    assert reset["requested_by"] == admin.display_name
    assert [m.recipient for m in _mails(db, "second_factor_reset_waiting")] == [lead.email]
    twice = admins.post(path, json={"reason": "Lost their phone"}, headers=admin_headers)
    assert twice.status_code == 409
    assert "already waiting" in twice.json()["error"]
    # The administrator sees the requests but cannot decide them.
    assert [r["id"] for r in admins.get("/api/second-factor-resets").json()] == [reset["id"]]
    decision = f"/api/second-factor-resets/{reset['id']}/decision"
    assert (
        admins.post(decision, json={"decision": "approved"}, headers=admin_headers).status_code
        == 404
    )

    leads, lead_headers = _signed_in(app, lead)
    assert [r["id"] for r in leads.get("/api/second-factor-resets").json()] == [reset["id"]]
    unclear = leads.post(decision, json={"decision": "maybe"}, headers=lead_headers)
    assert unclear.status_code == 422
    approved = leads.post(decision, json={"decision": "approved"}, headers=lead_headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == lead.display_name
    again = leads.post(decision, json={"decision": "declined"}, headers=lead_headers)
    assert again.status_code == 409
    assert "decided already" in again.json()["error"]
    db.expire_all()
    changed = db.get(User, person.id)
    assert changed is not None
    assert not changed.totp_enabled
    assert changed.totp_setup_required
    assert [m.recipient for m in _mails(db, "account_security")] == [person.email]


def test_a_declined_reset_and_refusals_to_decide(db: Session, world: World, app: FastAPI) -> None:
    now = utcnow()
    admin, lead = world.users[Role.ADMIN], world.users[Role.CLINICAL_LEAD]
    own = second_factor_resets.request_reset(
        db,
        actor=actor_for(db, admin, now),
        by=admin,
        user_id=lead.id,
        reason="Lost their phone",
        link_base="https://clinic.test",
        now=now,
    )
    other = create_staff(db, world.org, Role.ADMIN)
    theirs = second_factor_resets.request_reset(
        db,
        actor=actor_for(db, admin, now),
        by=admin,
        user_id=other.id,
        reason="Lost their phone",
        link_base="https://clinic.test",
        now=now,
    )
    foreign_lead = create_staff(db, world.other_org, Role.CLINICAL_LEAD)
    db.commit()
    leads, headers = _signed_in(app, lead)
    refused = leads.post(
        f"/api/second-factor-resets/{own.id}/decision",
        json={"decision": "approved"},
        headers=headers,
    )
    assert refused.status_code == 409
    assert "another clinical lead decides it" in refused.json()["error"]
    declined = leads.post(
        f"/api/second-factor-resets/{theirs.id}/decision",
        json={"decision": "declined"},
        headers=headers,
    )
    assert declined.status_code == 200
    assert declined.json()["status"] == "declined"
    db.refresh(other)
    assert other.totp_enabled
    strangers, stranger_headers = _signed_in(app, foreign_lead)
    assert strangers.get("/api/second-factor-resets").json() == []
    elsewhere = strangers.post(
        f"/api/second-factor-resets/{own.id}/decision",
        json={"decision": "approved"},
        headers=stranger_headers,
    )
    assert elsewhere.status_code == 404
    assert db.get(SecondFactorReset, own.id).status is ResetStatus.WAITING  # type: ignore[union-attr]
    for role in (Role.CLINICIAN, Role.COORDINATOR, Role.CLIENT):
        http, other_headers = _signed_in(app, world.users[role])
        assert http.get("/api/second-factor-resets").status_code == 404
        decided = http.post(
            f"/api/second-factor-resets/{own.id}/decision",
            json={"decision": "approved"},
            headers=other_headers,
        )
        assert decided.status_code == 404


def test_the_reset_list_service_refuses_those_who_neither_ask_nor_decide(
    db: Session, world: World
) -> None:
    now = utcnow()
    for role in (Role.CLINICIAN, Role.COORDINATOR, Role.CLIENT):
        user = world.users[role]
        with pytest.raises(NotFound):
            second_factor_resets.organisation_resets(db, actor_for(db, user, now))
    # Positive control: the administrator and the lead are answered.
    for role in (Role.ADMIN, Role.CLINICAL_LEAD):
        assert (
            second_factor_resets.organisation_resets(db, actor_for(db, world.users[role], now))
            == []
        )
