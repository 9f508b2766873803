"""Scheduling pages and API through HTTP: the coordinator's waitlist and proposals, the
clinician's week, the client's appointments; 409 on a taken slot; 404 for what one may not see."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy.orm import Session
from test_scheduling_service import actor

from alongside.kit.time import utcnow
from alongside.models import Appointment, Role
from alongside.scheduling import booking, service, waitlist
from tests.fixtures.factories import World, create_client
from tests.fixtures.web import sign_in


def _next_slot(db: Session, clinician_id: uuid.UUID) -> str:
    from alongside.models import User

    clinician = db.get(User, clinician_id)
    assert clinician is not None
    now = utcnow()
    slots = service.free_slots(db, clinician, now + timedelta(days=2), now + timedelta(days=9), 50)
    return slots[0].start.isoformat()


def _working(db: Session, world: World) -> None:
    clinician = world.users[Role.CLINICIAN]
    me = actor(db, clinician, utcnow())
    service.save_clinician_profile(db, actor=me, clinician_id=clinician.id, languages=["en"])
    for weekday in range(7):
        service.add_weekly_hours(
            db,
            actor=me,
            clinician_id=clinician.id,
            weekday=weekday,
            start=time(8),
            end=time(18),
        )
    db.flush()


def test_api_books_then_answers_409_for_the_same_slot(
    db: Session, world: World, client: TestClient
) -> None:
    _working(db, world)
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    starts_at = _next_slot(db, world.users[Role.CLINICIAN].id)
    body = {
        "client_id": str(world.own_client.id),
        "clinician_id": str(world.users[Role.CLINICIAN].id),
        "starts_at": starts_at,
        "reason": "First assessment",
    }
    first = client.post("/api/scheduling/appointments", json=body, headers={"X-CSRF-Token": csrf})
    assert first.status_code == 201, first.text
    other = create_client(db, world.org)
    db.flush()
    second = client.post(
        "/api/scheduling/appointments",
        json={**body, "client_id": str(other.id)},
        headers={"X-CSRF-Token": csrf},
    )
    assert second.status_code == 409
    assert "just taken" in second.json()["error"]
    appointment_id = first.json()["id"]
    fhir = client.get(f"/api/scheduling/appointments/{appointment_id}/fhir")
    assert fhir.status_code == 200
    assert fhir.json()["resourceType"] == "Appointment"
    schedule = client.get(
        f"/api/scheduling/clinicians/{world.users[Role.CLINICIAN].id}/fhir?days=3"
    )
    assert schedule.json()["resourceType"] == "Bundle"
    moved = client.post(
        f"/api/scheduling/appointments/{appointment_id}/cancel",
        json={"reason": "Unwell"},
        headers={"X-CSRF-Token": csrf},
    )
    assert moved.json()["status"] == "cancelled"


def test_what_one_may_not_see_answers_404(db: Session, world: World, client: TestClient) -> None:
    _working(db, world)
    appointment = booking.book_appointment(
        db,
        user=world.users[Role.COORDINATOR],
        actor=actor(db, world.users[Role.COORDINATOR], utcnow()),
        client_id=world.own_client.id,
        clinician_id=world.users[Role.CLINICIAN].id,
        starts_at=datetime.fromisoformat(_next_slot(db, world.users[Role.CLINICIAN].id)),
        reason="x",
        now=utcnow(),
    )
    db.flush()
    sign_in(client, world.other_clinician)
    assert client.get(f"/api/scheduling/appointments/{appointment.id}").status_code == 404
    assert client.get(f"/api/scheduling/appointments/{uuid.uuid4()}").status_code == 404
    assert client.get("/api/scheduling/appointments/not-a-uuid").status_code == 404
    assert (
        client.get(f"/api/scheduling/clients/{world.own_client.id}/appointments").status_code == 404
    )
    assert client.get("/api/scheduling/waitlist").status_code == 404
    assert (
        client.get(f"/api/scheduling/clients/{world.foreign_client.id}/preferences").status_code
        == 404
    )


def test_coordinator_waitlist_page_confirms_a_proposal(
    db: Session, world: World, client: TestClient
) -> None:
    _working(db, world)
    newcomer = create_client(db, world.org, given_name="Robin", family_name="Quill")
    waitlist.add_to_waitlist(
        db,
        client_id=newcomer.id,
        urgency="urgent",
        pathway="step3",
        decided_by=world.users[Role.CLINICIAN],
        now=utcnow(),
    )
    db.flush()
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    page = client.get("/scheduling/waitlist")
    assert page.status_code == 200
    assert "Quill, Robin" in page.text
    assert "Confirm and book" in page.text
    assert "Language: speaks English." in page.text
    entry = waitlist.list_waitlist(
        db,
        user=world.users[Role.COORDINATOR],
        actor=actor(db, world.users[Role.COORDINATOR], utcnow()),
        now=utcnow(),
    ).items[0]
    change = client.get(f"/scheduling/waitlist/{entry.id}/change")
    assert change.status_code == 200
    assert world.users[Role.CLINICIAN].display_name in change.text
    starts_at = _next_slot(db, world.users[Role.CLINICIAN].id)
    confirmed = client.post(
        "/scheduling/proposals/confirm",
        data={
            "csrf_token": csrf,
            "entry_id": str(entry.id),
            "clinician_id": str(world.users[Role.CLINICIAN].id),
            "starts_at": starts_at,
            "reason": "Matched",
        },
        follow_redirects=False,
    )
    assert confirmed.status_code == 303, confirmed.text
    assert db.query(Appointment).filter(Appointment.client_id == newcomer.id).count() == 1


def test_a_proposal_says_when_its_client_has_waited_past_the_target(
    db: Session, world: World, client: TestClient
) -> None:
    _working(db, world)
    now = utcnow()
    waiting = {}
    for given, urgency, since in (
        ("Ada", "crisis", now - timedelta(days=3)),
        ("Bo", "routine", now),
    ):
        person = create_client(db, world.org, given_name=given, family_name="Waits")
        waiting[given] = waitlist.add_to_waitlist(
            db,
            client_id=person.id,
            urgency=urgency,
            pathway="step3",
            decided_by=world.users[Role.CLINICIAN],
            now=since,
        )
    db.flush()
    sign_in(client, world.users[Role.COORDINATOR])
    page = client.get("/scheduling/waitlist")
    assert page.status_code == 200

    def heading(given: str) -> str:
        entry_id = waiting[given].id
        start = page.text.index(f'<h3 id="proposal-{entry_id}">')
        return page.text[start : page.text.index("</h3>", start)]

    # The crisis client waited three days: the proposal to book them says it is over target,
    # in words; the routine client who joined today is within theirs (the control).
    assert "Ada Waits (Crisis)" in heading("Ada")
    assert "over target" in heading("Ada")
    assert "waiting 3 days, target" in heading("Ada")
    assert "Bo Waits (Routine)" in heading("Bo")
    assert "over target" not in heading("Bo")


def test_waitlist_page_is_404_for_clinicians_and_clients(
    db: Session, world: World, client: TestClient
) -> None:
    for user in (world.users[Role.CLINICIAN], world.client_user):
        sign_in(client, user)
        response = client.get("/scheduling/waitlist", headers={"accept": "text/html"})
        assert response.status_code == 404


def test_clinician_week_and_calendar_feed(db: Session, world: World, client: TestClient) -> None:
    _working(db, world)
    clinician = world.users[Role.CLINICIAN]
    starts = datetime.fromisoformat(_next_slot(db, clinician.id))
    booking.book_appointment(
        db,
        user=world.users[Role.COORDINATOR],
        actor=actor(db, world.users[Role.COORDINATOR], utcnow()),
        client_id=world.own_client.id,
        clinician_id=clinician.id,
        starts_at=starts,
        reason="x",
        now=utcnow(),
    )
    db.flush()
    csrf = sign_in(client, clinician)
    week = client.get(f"/scheduling/week?start={starts.date().isoformat()}")
    assert week.status_code == 200
    assert world.own_client.family_name in week.text
    created = client.post("/scheduling/feeds", data={"csrf_token": csrf})
    assert created.status_code == 201
    path = created.text.split("<code>")[1].split("</code>")[0]
    path = "/" + path.split("/", 3)[3]
    feed = client.get(path)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert world.own_client.family_name not in feed.text
    assert len(list(Calendar.from_ical(feed.content).walk("VEVENT"))) == 1
    assert client.get("/calendar/unknown.ics").status_code == 404
    assert client.get("/scheduling/week?start=not-a-date").status_code == 422


def test_client_sees_cancels_and_moves_their_appointments(
    db: Session, world: World, client: TestClient
) -> None:
    _working(db, world)
    clinician = world.users[Role.CLINICIAN]
    now = utcnow()
    coordinator = world.users[Role.COORDINATOR]
    starts = datetime.fromisoformat(_next_slot(db, clinician.id))
    first = booking.book_appointment(
        db,
        user=coordinator,
        actor=actor(db, coordinator, now),
        client_id=world.own_client.id,
        clinician_id=clinician.id,
        starts_at=starts,
        reason="x",
        now=now,
    )
    db.flush()
    csrf = sign_in(client, world.client_user)
    page = client.get("/scheduling/appointments")
    assert page.status_code == 200
    assert "Move to another time" in page.text
    form = client.get(f"/scheduling/appointments/{first.id}/reschedule")
    assert form.status_code == 200
    new_start = form.text.split('name="starts_at" value="')[1].split('"')[0]
    moved = client.post(
        f"/scheduling/appointments/{first.id}/reschedule",
        data={"csrf_token": csrf, "starts_at": new_start},
        follow_redirects=False,
    )
    assert moved.status_code == 303, moved.text
    upcoming = booking.upcoming_for_client(
        db,
        user=coordinator,
        actor=actor(db, coordinator, now),
        client_id=world.own_client.id,
        now=now,
    ).items
    assert len(upcoming) == 1
    cancelled = client.post(
        f"/scheduling/appointments/{upcoming[0].id}/cancel",
        data={"csrf_token": csrf, "reason": "Feeling better"},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303
    page = client.get("/scheduling/appointments")
    assert "no upcoming appointments" in page.text
