"""Late notes: the median time from session end to signed note, by clinician."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from alongside.models import Role
from alongside.notes.timeliness import SessionNote, median, timeliness
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in
from tests.notes.test_notes_api import _appointment, _draft

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_median_and_overdue_by_clinician() -> None:
    ended = NOW - timedelta(days=10)
    rows = [
        SessionNote("Ana", ended, ended + timedelta(hours=2)),
        SessionNote("Ana", ended, ended + timedelta(hours=4)),
        SessionNote("Ana", ended, ended + timedelta(hours=30)),
        SessionNote("Ana", NOW - timedelta(hours=5), None),
        SessionNote("Ben", NOW - timedelta(days=4), None),
        SessionNote("Ben", NOW + timedelta(hours=1), None),  # not ended yet: not counted
    ]
    ana, ben = timeliness(rows, now=NOW, overdue_after=timedelta(hours=72))
    assert (ana.signed, ana.median_delay, ana.waiting, ana.overdue) == (3, timedelta(hours=4), 1, 0)
    assert (ben.signed, ben.median_delay, ben.waiting, ben.overdue) == (0, None, 1, 1)
    assert median([timedelta(hours=1), timedelta(hours=3)]) == timedelta(hours=2)


def test_the_lead_sees_late_notes_and_a_clinician_does_not(
    client: TestClient, world: World, db: Session
) -> None:
    client.cookies.clear()
    headers = {"X-CSRF-Token": sign_in(client, world.users[Role.CLINICIAN])}
    note = _draft(client, headers, _appointment(db, world)).json()
    client.post(f"/api/notes/{note['id']}/sign", headers=headers)
    _appointment(db, world, days_ago=5)  # attended, no note: overdue
    page = client.get("/oversight/notes", headers={"accept": "text/html"})
    assert page.status_code == 404
    client.cookies.clear()
    sign_in(client, world.users[Role.CLINICAL_LEAD])
    page = client.get("/oversight/notes", headers={"accept": "text/html"})
    assert page.status_code == 200
    row = next(
        line for line in page.text.splitlines() if world.users[Role.CLINICIAN].display_name in line
    )
    assert "<td>1</td><td>" in row  # one signed
    assert row.count("<td>1</td>") == 3  # one signed, one waiting, one overdue
    assert world.own_client.family_name not in page.text
