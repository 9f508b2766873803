"""Inputs that used to answer 500 answer a clear 4xx (each found from outside, against the demo).

Every case here crashed the request before the fix (OverflowError, TypeError, OSError,
KeyError, UnicodeEncodeError, ValueError); each has a positive control next to it where a
nearby valid input must still work.
"""

from __future__ import annotations

import re
import uuid
from datetime import time, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from alongside.crypto.keys import FileKeyProvider
from alongside.deps import SESSION_COOKIE
from alongside.intake import service as intake_service
from alongside.kit.time import utcnow
from alongside.models import Role
from alongside.scheduling import booking, service
from alongside.security.access import actor_for
from tests.fixtures.factories import PASSWORD, World
from tests.fixtures.web import sign_in

FAR = ["9999-12-31T10:00:00+00:00", "0001-01-01T10:00:00+00:00", "9999-12-31T23:00:00-05:00"]


def _working(db: Session, world: World) -> None:
    clinician = world.users[Role.CLINICIAN]
    me = actor_for(db, clinician, utcnow())
    for weekday in range(7):
        service.add_weekly_hours(
            db, actor=me, clinician_id=clinician.id, weekday=weekday, start=time(8), end=time(18)
        )
    db.flush()


def _clear_4xx(response: object, *fragments: str) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert 400 <= status < 500, (status, text[:300])
    for fragment in fragments:
        assert fragment in text, text[:500]


# ------------------------------------------------------------------ the client's intake form


def test_superscript_digit_answer_is_refused_not_a_crash(
    client: TestClient, db: Session, world: World
) -> None:
    created = intake_service.create_intake(
        db, actor=world.users[Role.CLINICIAN], client_id=world.own_client.id, now=utcnow()
    )
    path = created.path
    client.post(f"{path}/consent", data={"intake_processing": "yes", "software_reading": "yes"})
    for bad in ("²", "\u0661", "1.5", "-1", "9" * 50):
        response = client.post(f"{path}/questions/phq9", data={"part": "0", "q1": bad})
        _clear_4xx(response)
    # Positive control: a plain digit is taken.
    page = client.get(f"{path}/questions/phq9")
    names = set(re.findall(r'type="radio" id="[^"]+" name="([a-z0-9_]+)"', page.text))
    form = {name: "1" for name in names} | {"part": "0"}
    assert (
        client.post(f"{path}/questions/phq9", data=form, follow_redirects=False).status_code == 303
    )


# ------------------------------------------------------------------ scheduling dates and times


@pytest.mark.parametrize("starts_at", FAR)
def test_far_dates_on_booking_answer_422(
    client: TestClient, db: Session, world: World, starts_at: str
) -> None:
    _working(db, world)
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    body = {
        "client_id": str(world.own_client.id),
        "clinician_id": str(world.users[Role.CLINICIAN].id),
        "starts_at": starts_at,
        "reason": "First assessment",
    }
    response = client.post(
        "/api/scheduling/appointments", json=body, headers={"X-CSRF-Token": csrf}
    )
    _clear_4xx(response, "starts_at")
    confirm = client.post(
        "/api/scheduling/proposals/confirm",
        json={
            "entry_id": str(uuid.uuid4()),
            "clinician_id": str(world.users[Role.CLINICIAN].id),
            "starts_at": starts_at,
        },
        headers={"X-CSRF-Token": csrf},
    )
    _clear_4xx(confirm, "starts_at")


@pytest.mark.parametrize("starts_at", [*FAR, "2030-01-07T10:00:00"])
def test_far_or_naive_dates_on_reschedule_answer_422(
    client: TestClient, db: Session, world: World, starts_at: str
) -> None:
    _working(db, world)
    coordinator = world.users[Role.COORDINATOR]
    now = utcnow()
    slot = service.free_slots(
        db, world.users[Role.CLINICIAN], now + timedelta(days=2), now + timedelta(days=9), 50
    )[0]
    appointment = booking.book_appointment(
        db,
        user=coordinator,
        actor=actor_for(db, coordinator, now),
        client_id=world.own_client.id,
        clinician_id=world.users[Role.CLINICIAN].id,
        starts_at=slot.start,
        reason="First assessment",
        now=now,
    )
    csrf = sign_in(client, coordinator)
    response = client.post(
        f"/api/scheduling/appointments/{appointment.id}/reschedule",
        json={"starts_at": starts_at, "reason": "Client asked"},
        headers={"X-CSRF-Token": csrf},
    )
    _clear_4xx(response, "starts_at")


@pytest.mark.parametrize(
    "start", ["2030-01-07T10:00:00", "9999-12-31T00:00:00+00:00", "0001-01-01T00:00:00+00:00"]
)
def test_week_with_naive_or_far_start_answers_422(
    client: TestClient, world: World, start: str
) -> None:
    sign_in(client, world.users[Role.CLINICIAN])
    clinician = world.users[Role.CLINICIAN].id
    response = client.get(f"/api/scheduling/clinicians/{clinician}/week", params={"start": start})
    _clear_4xx(response, "start")
    # Positive control: with its offset, the same week answers.
    ok = client.get(
        f"/api/scheduling/clinicians/{clinician}/week", params={"start": "2030-01-07T10:00:00Z"}
    )
    assert ok.status_code == 200


@pytest.mark.parametrize("start", ["9999-12-31", "0001-01-01", "0001-01-02"])
def test_week_page_with_far_date_answers_422(client: TestClient, world: World, start: str) -> None:
    sign_in(client, world.users[Role.CLINICIAN])
    response = client.get("/scheduling/week", params={"start": start})
    _clear_4xx(response)
    assert client.get("/scheduling/week", params={"start": "2030-01-07"}).status_code == 200


@pytest.mark.parametrize("start", ["10:00+05:00", 1.5, "25:00", 36000])
def test_availability_start_must_be_a_local_time(
    client: TestClient, world: World, start: object
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    clinician = world.users[Role.CLINICIAN].id
    body = {"kind": "weekly", "weekday": 0, "start": start, "end": "17:00"}
    response = client.post(
        f"/api/scheduling/clinicians/{clinician}/availability",
        json=body,
        headers={"X-CSRF-Token": csrf},
    )
    _clear_4xx(response, "start")
    extra = {"kind": "extra", "day": "2030-01-07", "start": start, "end": "17:00"}
    response = client.post(
        f"/api/scheduling/clinicians/{clinician}/availability",
        json=extra,
        headers={"X-CSRF-Token": csrf},
    )
    _clear_4xx(response, "start")
    far = {**extra, "start": "09:00", "day": "9999-12-31"}
    response = client.post(
        f"/api/scheduling/clinicians/{clinician}/availability",
        json=far,
        headers={"X-CSRF-Token": csrf},
    )
    _clear_4xx(response, "day")
    ok = client.post(
        f"/api/scheduling/clinicians/{clinician}/availability",
        json={**body, "start": "09:00"},
        headers={"X-CSRF-Token": csrf},
    )
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize("zone", ["x" * 100_000, "../../etc/passwd", "Europe/Nowhere", "\x00"])
def test_time_zones_are_checked_against_the_zone_database(
    client: TestClient, world: World, zone: str
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    clinician = world.users[Role.CLINICIAN].id
    headers = {"X-CSRF-Token": csrf}
    profile = client.put(
        f"/api/scheduling/clinicians/{clinician}/profile", json={"timezone": zone}, headers=headers
    )
    _clear_4xx(profile, "time")
    assert zone not in profile.text
    preferences = client.put(
        f"/api/scheduling/clients/{world.own_client.id}/preferences",
        json={"time_zone": zone},
        headers=headers,
    )
    _clear_4xx(preferences, "time")
    ok = client.put(
        f"/api/scheduling/clinicians/{clinician}/profile",
        json={"timezone": "Europe/London"},
        headers=headers,
    )
    assert ok.status_code == 200, ok.text


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize("lead", [2**63, 2**64 + 1, -(2**63) - 1, 10**30])
def test_huge_lead_hours_answer_422(client: TestClient, world: World, lead: int) -> None:
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    plan = {"instruments": ["phq9"], "cadence": "before_session", "lead_hours": lead}
    response = client.put(
        f"/api/clients/{world.own_client.id}/measures/plan",
        json=plan,
        headers={"X-CSRF-Token": csrf},
    )
    _clear_4xx(response, "lead_hours")
    page = client.post(
        f"/clients/{world.own_client.id}/measures/plan",
        data={
            "csrf_token": csrf,
            "instruments": "phq9",
            "cadence": "before_session",
            "lead_hours": str(lead),
        },
    )
    _clear_4xx(page)
    every = {"instruments": ["phq9"], "cadence": "interval", "interval_days": lead}
    response = client.put(
        f"/api/clients/{world.own_client.id}/measures/plan",
        json=every,
        headers={"X-CSRF-Token": csrf},
    )
    _clear_4xx(response, "interval_days")
    ok = client.put(
        f"/api/clients/{world.own_client.id}/measures/plan",
        json={**plan, "lead_hours": 48},
        headers={"X-CSRF-Token": csrf},
    )
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize("value", ["inf", "nan", "1e308", "-5", "1.5", "²", "9" * 40, ""])
def test_the_escalation_time_must_be_whole_minutes(
    client: TestClient, world: World, value: str
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    form = {"csrf_token": csrf, "escalation_minutes": value}
    response = client.post("/oversight/settings", data=form)
    _clear_4xx(response)
    assert "a whole number of minutes" in response.text
    ok = client.post("/oversight/settings", data={**form, "escalation_minutes": "20"})
    assert ok.status_code in (200, 303), ok.text


# ------------------------------------------------------------------ sessions


def test_signing_out_with_a_bearer_token_is_a_clear_answer(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    created = client.post(
        "/api/tokens",
        json={"name": "script", "scopes": ["client.read"]},
        headers={"X-CSRF-Token": csrf},
    )
    secret = created.json()["token"]
    bearer = TestClient(client.app, headers={"Authorization": f"Bearer {secret}"})
    response = bearer.delete("/api/session")
    _clear_4xx(response, "token")
    assert bearer.get("/api/clients").status_code == 200  # the token still works
    # Positive control: a cookie session signs out.
    assert client.delete("/api/session", headers={"X-CSRF-Token": csrf}).status_code == 204


@pytest.mark.parametrize(
    ("email", "status"), [("a\x00@clinic.test", 401), ("x" * 5000 + "@clinic.test", 422)]
)
def test_sign_in_with_an_impossible_address_is_a_plain_refusal(
    client: TestClient, email: str, status: int
) -> None:
    """Found by fuzzing on PostgreSQL, which refuses a NUL byte in text (a 500)."""
    response = client.post("/api/session", json={"email": email, "password": "x"})
    assert response.status_code == status


@pytest.mark.parametrize("cookie", ["caf\u00e9", "\u2603" * 10, "a" * 5000])
def test_a_session_cookie_that_is_not_ascii_is_not_a_session(
    client: TestClient, cookie: str
) -> None:
    raw = f"{SESSION_COOKIE}={cookie}".encode()
    response = client.get("/api/clients", headers={b"cookie": raw})
    assert response.status_code == 401


# ------------------------------------------------------------------ configuration errors


def test_key_file_errors_show_no_path(client: TestClient, world: World, tmp_path: Path) -> None:
    """The key file's error names its path for the operator (in the log), never in a page."""
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    unusable = tmp_path / "secret-place"
    unusable.mkdir()  # a directory where the key file should be
    client.app.state.kek_provider = FileKeyProvider(unusable)  # type: ignore[attr-defined]
    api = client.post("/api/me/totp", json={"password": PASSWORD}, headers={"X-CSRF-Token": csrf})
    page = client.post(
        "/account/totp",
        data={"csrf_token": csrf, "password": PASSWORD},
        headers={"accept": "text/html"},
    )
    for response in (api, page):
        assert response.status_code == 500
        assert "secret-place" not in response.text
        assert str(tmp_path) not in response.text
        assert "reference" in response.text
