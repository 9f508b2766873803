"""Sign-in throttling that cannot lock the real person out, and one answer for every failure.

Regressions: five wrong passwords locked any account for 15 minutes, the right password
included (anyone could lock out the clinician on call); for accounts with a second factor a
right password without a code answered "Enter the 6-digit code" and a wrong one "Email or
password is not right", which confirmed the password without the second factor.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from alongside.accounts import service
from alongside.crypto.keys import FileKeyProvider
from alongside.db import refusable
from alongside.errors import NotAuthenticated, TooManyRequests
from alongside.kit.time import utcnow
from alongside.models import Role
from alongside.security.throttle import (
    FREE_FAILURES,
    MAX_BACKOFF,
    backoff,
    check_not_throttled,
    record_failure,
)
from tests.fixtures.factories import PASSWORD, TOTP_SECRETS, World
from tests.fixtures.web import sign_in

ATTACKER = "203.0.113.9"
CLINICIAN_DEVICE = "198.51.100.7"


def _sign_in(
    db: Session, provider: FileKeyProvider, email: str, password: str, address: str, at: object
) -> None:
    # As the sign-in page and the API call it: a refusal stores its failure count (an
    # after_rollback write) and nothing else.
    with refusable(db):
        service.sign_in(
            db,
            email=email,
            password=password,
            totp=None,
            address=address,
            now=at,  # type: ignore[arg-type]
            provider=provider,
            demo=False,
        )


def test_guessing_from_one_address_does_not_lock_out_the_real_person(
    db: Session, world: World, kek_provider: FileKeyProvider
) -> None:
    email = world.users[Role.CLINICIAN].email
    now = utcnow()
    for n in range(FREE_FAILURES + 3):
        at = now + timedelta(hours=n)  # past each backoff, so every guess is counted
        with pytest.raises(NotAuthenticated):
            _sign_in(db, kek_provider, email, "wrong-password", ATTACKER, at)
    last = now + timedelta(hours=FREE_FAILURES + 2)
    # The attacker's address is held back, even with the right password ...
    with pytest.raises(TooManyRequests, match="this device"):
        _sign_in(db, kek_provider, email, PASSWORD, ATTACKER, last + timedelta(seconds=1))
    # ... while the clinician signs in from their own device at the same moment.
    _sign_in(db, kek_provider, email, PASSWORD, CLINICIAN_DEVICE, last + timedelta(seconds=1))


def test_backoff_grows_with_failures_and_is_capped() -> None:
    waits = [backoff(n) for n in range(1, 30)]
    assert waits[: FREE_FAILURES - 1] == [timedelta(0)] * (FREE_FAILURES - 1)
    assert waits == sorted(waits)
    assert waits[FREE_FAILURES] == 2 * waits[FREE_FAILURES - 1] > timedelta(0)
    assert waits[-1] == MAX_BACKOFF


def test_same_answer_for_a_wrong_password_with_or_without_a_second_factor(
    client: TestClient, world: World
) -> None:
    lead = world.users[Role.CLINICAL_LEAD]  # has a second factor
    clinician = world.users[Role.CLINICIAN]  # has none
    answers = {
        "right password, no code": client.post(
            "/api/session", json={"email": lead.email, "password": PASSWORD}
        ),
        "wrong password, no code": client.post(
            "/api/session", json={"email": lead.email, "password": "wrong-password"}
        ),
        "right password, wrong code": client.post(
            "/api/session", json={"email": lead.email, "password": PASSWORD, "totp": "000000"}
        ),
        "no second factor, wrong password": TestClient(client.app).post(
            "/api/session", json={"email": clinician.email, "password": "wrong-password"}
        ),
        "unknown account": TestClient(client.app).post(
            "/api/session", json={"email": "nobody@clinic.test", "password": "x"}
        ),
    }
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 401)
    assert len({r.json()["error"] for r in answers.values()}) == 1
    assert lead.id in TOTP_SECRETS  # positive control: the lead does have a factor


def test_lead_sees_held_back_accounts(
    client: TestClient, db: Session, world: World, kek_provider: FileKeyProvider
) -> None:
    target = world.users[Role.CLINICIAN]
    now = utcnow()
    for n in range(FREE_FAILURES):
        with pytest.raises(NotAuthenticated):
            _sign_in(db, kek_provider, target.email, "wrong", ATTACKER, now + timedelta(seconds=n))
    sign_in(client, world.users[Role.CLINICAL_LEAD])
    listed = client.get("/api/sign-in/held-back")
    assert listed.status_code == 200
    rows = listed.json()
    assert [(r["user_id"], r["failures_today"], r["addresses_held_back"]) for r in rows] == [
        (str(target.id), FREE_FAILURES, 1)
    ]
    assert ATTACKER not in listed.text
    page = client.get("/access/review")
    assert target.display_name in page.text
    client.cookies.clear()
    sign_in(client, world.users[Role.ADMIN])
    assert client.get("/api/sign-in/held-back").status_code == 404


def test_a_device_held_back_yesterday_starts_afresh_a_day_later(db: Session) -> None:
    email, address, now = "someone@clinic.test", "198.51.100.7", utcnow()
    for _ in range(FREE_FAILURES):
        record_failure(db, email, address, now)
    with pytest.raises(TooManyRequests, match="this device"):
        check_not_throttled(db, email, address, now + timedelta(seconds=1))

    # A day and more without a failure: the next one counts as the first again.
    later = now + timedelta(hours=25)
    record_failure(db, email, address, later)
    check_not_throttled(db, email, address, later)
