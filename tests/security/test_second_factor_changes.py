"""Changing the second factor needs the person (password and a current code), not just a
signed-in session; every change is audited and mailed; recovery codes are single use and hashed.

Regression: ``POST /api/me/totp`` used to answer 200 with a new secret (and switch the current
factor off) for any signed-in session, so a stolen session could take over the second factor.
"""

from __future__ import annotations

import time

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from alongside.models import (
    AuditEvent,
    LoginFailure,
    OutboxMessage,
    RecoveryCode,
    Role,
    User,
)
from tests.fixtures.factories import PASSWORD, World
from tests.fixtures.web import sign_in


def _code(secret: str, steps_ahead: int) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def _enrol(client: TestClient, csrf: str, body: dict[str, str]) -> tuple[str, list[str]]:
    """Add a second factor through the API; returns its secret and the recovery codes."""
    started = client.post("/api/me/totp", json=body, headers={"X-CSRF-Token": csrf})
    assert started.status_code == 200, started.text
    secret = started.json()["secret"]
    confirmed = client.post(
        "/api/me/totp/confirm", json={"code": _code(secret, -1)}, headers={"X-CSRF-Token": csrf}
    )
    assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()["recovery_codes"]


def test_changing_the_second_factor_needs_password_and_current_code(
    client: TestClient, db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    csrf = sign_in(client, clinician)
    headers = {"X-CSRF-Token": csrf}
    # No factor yet: the password alone is needed, and refused when wrong or missing.
    assert client.post("/api/me/totp", headers=headers).status_code == 422
    wrong = client.post("/api/me/totp", json={"password": "not it"}, headers=headers)
    assert wrong.status_code == 422
    assert "password or code is not right" in wrong.json()["error"]
    secret, codes = _enrol(client, csrf, {"password": PASSWORD})
    assert len(codes) == 10
    assert len(set(codes)) == 10

    # With a factor on, the password alone no longer changes it, and the factor stays.
    before = db.get(User, clinician.id)
    assert before is not None
    db.refresh(before)
    stored = before.totp_secret_ct
    for body in ({"password": PASSWORD}, {"password": PASSWORD, "code": "000000"}):
        refused = client.post("/api/me/totp", json=body, headers=headers)
        assert refused.status_code == 422
    # Failed proofs count towards sign-in throttling (tested there); start afresh here.
    db.execute(delete(LoginFailure))
    assert (
        client.post("/api/me/totp/remove", json={"password": PASSWORD}, headers=headers).status_code
        == 422
    )
    db.execute(delete(LoginFailure))
    db.refresh(before)
    assert before.totp_enabled
    assert before.totp_secret_ct == stored
    # Positive control: password and a current code replace it; the old one works until then.
    replaced = client.post(
        "/api/me/totp", json={"password": PASSWORD, "code": _code(secret, 0)}, headers=headers
    )
    assert replaced.status_code == 200
    db.refresh(before)
    assert before.totp_enabled
    assert before.totp_secret_ct == stored
    new_secret = replaced.json()["secret"]
    confirmed = client.post(
        "/api/me/totp/confirm", json={"code": _code(new_secret, 0)}, headers=headers
    )
    assert confirmed.status_code == 200
    db.refresh(before)
    assert before.totp_secret_ct != stored

    # Every change is audited and mailed to the account.
    events = db.scalars(
        select(AuditEvent).where(
            AuditEvent.actor_id == clinician.id, AuditEvent.resource_type == "second_factor"
        )
    ).all()
    assert len(events) == 2
    assert {e.purpose for e in events} == {"security"}
    mails = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "account_security")).all()
    assert [m.recipient for m in mails] == [clinician.email, clinician.email]
    assert any("replaced" in m.body for m in mails)


def test_recovery_codes_are_hashed_single_use_and_sign_in(
    client: TestClient, db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    csrf = sign_in(client, clinician)
    _secret, codes = _enrol(client, csrf, {"password": PASSWORD})
    stored = db.scalars(select(RecoveryCode).where(RecoveryCode.user_id == clinician.id)).all()
    assert len(stored) == 10
    assert all(row.code_hash.startswith("$argon2id$") for row in stored)
    assert not {row.code_hash for row in stored} & set(codes)

    fresh = TestClient(client.app)
    body = {"email": clinician.email, "password": PASSWORD, "totp": codes[3]}
    assert fresh.post("/api/session", json=body).status_code == 200
    assert TestClient(client.app).post("/api/session", json=body).status_code == 401
    # A recovery code also proves the person when changing the factor.
    removed = client.post(
        "/api/me/totp/remove",
        json={"password": PASSWORD, "code": codes[4]},
        headers={"X-CSRF-Token": csrf},
    )
    assert removed.status_code == 204
    user = db.get(User, clinician.id)
    assert user is not None
    db.refresh(user)
    assert not user.totp_enabled
    assert db.scalars(select(RecoveryCode).where(RecoveryCode.user_id == clinician.id)).all() == []


def test_roles_that_need_a_second_factor_cannot_remove_it(client: TestClient, world: World) -> None:
    lead = world.users[Role.CLINICAL_LEAD]
    csrf = sign_in(client, lead)
    refused = client.post(
        "/api/me/totp/remove",
        json={"password": PASSWORD, "code": "000000"},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 409


def test_account_page_asks_for_the_password(client: TestClient, world: World) -> None:
    clinician = world.users[Role.CLINICIAN]
    csrf = sign_in(client, clinician)
    refused = client.post("/account/totp", data={"csrf_token": csrf, "password": "nope"})
    assert refused.status_code == 422
    assert "otpauth://" not in refused.text
    started = client.post("/account/totp", data={"csrf_token": csrf, "password": PASSWORD})
    assert started.status_code == 200
    assert "otpauth://totp/" in started.text


def test_recovery_codes_are_renewed_by_the_person_never_with_a_token(
    client: TestClient, db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    csrf = sign_in(client, clinician)
    headers = {"X-CSRF-Token": csrf}
    secret, codes = _enrol(client, csrf, {"password": PASSWORD})
    renewed = client.post(
        "/api/me/recovery-codes",
        json={"password": PASSWORD, "code": codes[0]},
        headers=headers,
    )
    assert renewed.status_code == 200, renewed.text
    new_codes = renewed.json()["recovery_codes"]
    assert len(new_codes) == 10
    assert not set(new_codes) & set(codes)

    token = client.post(
        "/api/tokens",
        json={"name": "export", "scopes": ["client.read"]},
        headers=headers,
    )
    assert token.status_code == 201, token.text
    bearer = TestClient(client.app, headers={"Authorization": f"Bearer {token.json()['token']}"})
    refused = bearer.post(
        "/api/me/recovery-codes", json={"password": PASSWORD, "code": _code(secret, 0)}
    )
    assert refused.status_code == 404
