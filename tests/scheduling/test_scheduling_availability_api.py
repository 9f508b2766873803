"""The hours-and-leave API: a block missing what its kind needs is refused in words with nothing
stored; blocks are added, listed and removed once; the clinician's calendar endpoints answer
staff only, and 404 for a clinician who is not the organisation's."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alongside.models import Availability, Role
from tests.fixtures.factories import World, create_staff
from tests.fixtures.web import sign_in


def _blocks(db: Session, world: World) -> int:
    db.expire_all()
    return int(
        db.scalar(
            select(func.count())
            .select_from(Availability)
            .where(Availability.clinician_id == world.users[Role.CLINICIAN].id)
        )
        or 0
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"kind": "leave", "starts_at": "2030-01-07T09:00:00Z"},
            "Leave needs starts_at and ends_at.",
        ),
        (
            {"kind": "leave", "ends_at": "2030-01-07T09:00:00Z"},
            "Leave needs starts_at and ends_at.",
        ),
        ({"kind": "weekly", "weekday": 0, "start": "09:00"}, "Hours need start and end."),
        ({"kind": "extra", "day": "2030-01-07", "end": "17:00"}, "Hours need start and end."),
        (
            {"kind": "weekly", "start": "09:00", "end": "17:00"},
            "Weekly hours need a weekday (0 = Monday).",
        ),
        ({"kind": "extra", "start": "09:00", "end": "17:00"}, "Extra hours need a day."),
    ],
)
def test_a_block_missing_what_its_kind_needs_is_refused_and_nothing_is_stored(
    client: TestClient, world: World, db: Session, body: dict[str, object], message: str
) -> None:
    clinician = world.users[Role.CLINICIAN]
    headers = {"X-CSRF-Token": sign_in(client, clinician)}
    url = f"/api/scheduling/clinicians/{clinician.id}/availability"
    before = _blocks(db, world)
    refused = client.post(url, json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["error"] == message
    assert _blocks(db, world) == before


def test_hours_extra_hours_and_leave_are_added_listed_and_removed_once(
    client: TestClient, world: World, db: Session
) -> None:
    clinician = world.users[Role.CLINICIAN]
    headers = {"X-CSRF-Token": sign_in(client, clinician)}
    url = f"/api/scheduling/clinicians/{clinician.id}/availability"
    before = _blocks(db, world)
    weekly = client.post(
        url,
        json={"kind": "weekly", "weekday": 2, "start": "09:00", "end": "12:00"},
        headers=headers,
    )
    extra = client.post(
        url,
        json={"kind": "extra", "day": "2030-01-05", "start": "10:00", "end": "13:00"},
        headers=headers,
    )
    leave = client.post(
        url,
        json={
            "kind": "leave",
            "starts_at": "2030-02-01T00:00:00Z",
            "ends_at": "2030-02-08T00:00:00Z",
            "note": "Conference",
        },
        headers=headers,
    )
    assert [r.status_code for r in (weekly, extra, leave)] == [201, 201, 201]
    assert weekly.json()["weekday"] == 2
    assert weekly.json()["local_start"] == "09:00:00"
    assert extra.json()["day"] == "2030-01-05"
    assert leave.json()["note"] == "Conference"
    assert _blocks(db, world) == before + 3
    listed = {row["id"]: row["kind"] for row in client.get(url).json()}
    assert listed[weekly.json()["id"]] == "weekly"
    assert listed[extra.json()["id"]] == "extra"
    assert listed[leave.json()["id"]] == "leave"
    removed = client.delete(f"/api/scheduling/availability/{leave.json()['id']}", headers=headers)
    assert removed.status_code == 204
    assert _blocks(db, world) == before + 2
    again = client.delete(f"/api/scheduling/availability/{leave.json()['id']}", headers=headers)
    assert again.status_code == 404
    malformed = client.delete("/api/scheduling/availability/not-a-block", headers=headers)
    assert malformed.status_code == 404
    assert leave.json()["id"] not in {row["id"] for row in client.get(url).json()}


def test_a_clinicians_calendar_answers_staff_only_and_only_for_their_organisation(
    client: TestClient, world: World, db: Session
) -> None:
    clinician = world.users[Role.CLINICIAN]
    elsewhere_clinician = create_staff(db, world.other_org, Role.CLINICIAN)
    db.commit()
    paths = [
        f"/api/scheduling/clinicians/{clinician.id}/{what}"
        for what in ("slots", "profile", "availability", "fhir")
    ]
    sign_in(client, world.users[Role.COORDINATOR])
    for path in paths:
        assert client.get(path).status_code == 200, path
    for path in paths:
        elsewhere = path.replace(str(clinician.id), str(elsewhere_clinician.id))
        assert client.get(elsewhere).status_code == 404, elsewhere
        not_a_clinician = path.replace(str(clinician.id), str(world.users[Role.ADMIN].id))
        assert client.get(not_a_clinician).status_code == 404, not_a_clinician
        malformed = path.replace(str(clinician.id), "dr-who")
        assert client.get(malformed).status_code == 404, malformed
    client.cookies.clear()
    sign_in(client, world.client_user)
    for path in paths:
        refused = client.get(path)
        assert refused.status_code == 404, path
