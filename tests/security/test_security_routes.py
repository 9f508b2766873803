"""Accounts and access end to end: throttling, second factor, sessions, break-glass, tokens."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.accounts.service import INVALID_LOGIN
from alongside.deps import SESSION_COOKIE
from alongside.models import AuditEvent, BreakGlassGrant, Role, UserSession
from alongside.security.throttle import ADDRESS_LIMIT, FREE_FAILURES
from tests.fixtures.factories import PASSWORD, TOTP_SECRETS, World
from tests.fixtures.web import sign_in


def _login(client: TestClient, email: str, password: str, **extra: str) -> int:
    response = client.post("/api/session", json={"email": email, "password": password, **extra})
    return response.status_code


def test_failed_sign_ins_are_throttled_alike_for_real_and_unknown_accounts(
    client: TestClient, world: World
) -> None:
    real = world.users[Role.CLINICIAN].email
    for email in (real, "nobody-here@clinic.test"):
        codes = [_login(client, email, "wrong-password") for _ in range(FREE_FAILURES)]
        assert codes == [401] * FREE_FAILURES
        throttled = client.post("/api/session", json={"email": email, "password": PASSWORD})
        assert throttled.status_code == 429
        assert "Too many sign-in attempts" in throttled.json()["error"]
    # The right password does not get through while throttled either.
    assert _login(client, real, PASSWORD) == 429


def test_throttling_per_address_across_accounts(client: TestClient, world: World) -> None:
    for n in range(ADDRESS_LIMIT):
        assert _login(client, f"guess{n}@clinic.test", "wrong-password") == 401
    assert _login(client, world.users[Role.COORDINATOR].email, PASSWORD) == 429


def test_success_clears_the_account_counter(client: TestClient, world: World) -> None:
    email = world.users[Role.CLINICIAN].email
    for _ in range(FREE_FAILURES - 1):
        _login(client, email, "wrong-password")
    assert _login(client, email, PASSWORD) == 200
    for _ in range(FREE_FAILURES - 1):
        assert _login(client, email, "wrong-password") == 401


def test_clinical_lead_needs_a_code_and_a_code_works_once(client: TestClient, world: World) -> None:
    lead = world.users[Role.CLINICAL_LEAD]
    assert _login(client, lead.email, PASSWORD) == 401
    code = pyotp.TOTP(TOTP_SECRETS[lead.id]).now()
    assert (
        _login(client, lead.email, PASSWORD, totp="000000" if code != "000000" else "111111") == 401
    )
    assert _login(client, lead.email, PASSWORD, totp=code) == 200
    replay = client.post(
        "/api/session", json={"email": lead.email, "password": PASSWORD, "totp": code}
    )
    assert replay.status_code == 401
    assert replay.json()["error"] == INVALID_LOGIN


def test_clinician_can_enrol_a_second_factor(client: TestClient, world: World) -> None:
    clinician = world.users[Role.CLINICIAN]
    csrf = sign_in(client, clinician)
    enrolment = client.post(
        "/api/me/totp", json={"password": PASSWORD}, headers={"X-CSRF-Token": csrf}
    ).json()
    assert enrolment["otpauth_uri"].startswith("otpauth://totp/")
    wrong = client.post(
        "/api/me/totp/confirm", json={"code": "123456"}, headers={"X-CSRF-Token": csrf}
    )
    assert wrong.status_code in (200, 422)
    code = pyotp.TOTP(enrolment["secret"]).now()
    if wrong.status_code == 422:
        ok = client.post(
            "/api/me/totp/confirm", json={"code": code}, headers={"X-CSRF-Token": csrf}
        )
        assert ok.status_code == 200
    # From now on a password alone is not enough.
    assert _login(TestClient(client.app), clinician.email, PASSWORD) == 401


def test_sign_in_rotates_the_session_and_old_ids_stop_working(
    client: TestClient, world: World
) -> None:
    user = world.users[Role.COORDINATOR]
    sign_in(client, user)
    first = client.cookies.get(SESSION_COOKIE)
    sign_in(client, user)
    second = client.cookies.get(SESSION_COOKIE)
    assert first
    assert second
    assert first != second
    stale = TestClient(client.app, cookies={SESSION_COOKIE: first})
    assert stale.get("/api/clients").status_code == 401
    assert client.get("/api/clients").status_code == 200


def test_idle_and_absolute_timeouts_end_sessions(
    client: TestClient, world: World, db: Session
) -> None:
    sign_in(client, world.users[Role.COORDINATOR])
    for record in db.scalars(select(UserSession)):
        record.last_seen_at -= timedelta(minutes=31)
    db.flush()
    assert client.get("/api/clients").status_code == 401
    sign_in(client, world.users[Role.COORDINATOR])
    for record in db.scalars(select(UserSession)):
        record.created_at -= timedelta(hours=13)
    db.flush()
    assert client.get("/api/clients").status_code == 401


def test_break_glass_needs_a_reason_expires_and_is_reviewed(
    client: TestClient, world: World, db: Session
) -> None:
    clinician = world.users[Role.CLINICIAN]
    outside = world.outside_client
    csrf = sign_in(client, clinician)
    headers = {"X-CSRF-Token": csrf}
    assert client.get(f"/api/clients/{outside.id}").status_code == 404
    short = client.post(
        f"/api/clients/{outside.id}/break-glass", json={"reason": "need"}, headers=headers
    )
    assert short.status_code == 422
    foreign = client.post(
        f"/api/clients/{world.foreign_client.id}/break-glass",
        json={"reason": "Client called the crisis line, on call tonight"},
        headers=headers,
    )
    assert foreign.status_code == 404
    granted = client.post(
        f"/api/clients/{outside.id}/break-glass",
        json={"reason": "Client called the crisis line, on call tonight"},
        headers=headers,
    )
    assert granted.status_code == 201
    assert client.get(f"/api/clients/{outside.id}").status_code == 200
    emergency = db.scalars(
        select(AuditEvent).where(
            AuditEvent.client_id == outside.id, AuditEvent.purpose == "emergency"
        )
    ).all()
    assert {e.action for e in emergency} >= {"break_glass", "read"}

    lead_client = TestClient(client.app)
    lead_csrf = sign_in(lead_client, world.users[Role.CLINICAL_LEAD])
    pending = lead_client.get("/api/break-glass").json()
    assert [g["client_id"] for g in pending] == [str(outside.id)]
    assert "crisis line" in pending[0]["reason"]
    # Clinicians cannot see the review list at all.
    assert client.get("/api/break-glass").status_code == 404
    ack = lead_client.post(
        f"/api/break-glass/{pending[0]['id']}/acknowledge", headers={"X-CSRF-Token": lead_csrf}
    )
    assert ack.status_code == 200
    assert lead_client.get("/api/break-glass").json() == []

    for grant in db.scalars(select(BreakGlassGrant)):
        grant.expires_at = grant.granted_at
    db.flush()
    assert client.get(f"/api/clients/{outside.id}").status_code == 404


def test_refused_access_is_audited(client: TestClient, world: World, db: Session) -> None:
    sign_in(client, world.users[Role.CLINICIAN])
    assert client.get(f"/api/clients/{world.outside_client.id}").status_code == 404
    refused = db.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
    assert [e.resource_id for e in refused] == [str(world.outside_client.id)]


def test_api_tokens_are_scoped_revocable_and_stored_hashed(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    headers = {"X-CSRF-Token": csrf}
    beyond = client.post(
        "/api/tokens", json={"name": "x", "scopes": ["user.manage"]}, headers=headers
    )
    assert beyond.status_code == 422
    created = client.post(
        "/api/tokens", json={"name": "EHR sync", "scopes": ["client.read"]}, headers=headers
    )
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret not in str(client.get("/api/tokens").json())
    bearer = TestClient(client.app, headers={"Authorization": f"Bearer {secret}"})
    listed = bearer.get("/api/clients")
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["items"]] == [str(world.own_client.id)]
    # A token cannot mint more tokens.
    assert (
        bearer.post("/api/tokens", json={"name": "y", "scopes": ["client.read"]}).status_code == 404
    )
    client.delete(f"/api/tokens/{created.json()['id']}", headers=headers)
    assert bearer.get("/api/clients").status_code == 401
    assert (
        TestClient(client.app, headers={"Authorization": "Bearer alg_forged"})
        .get("/api/clients")
        .status_code
        == 401
    )
