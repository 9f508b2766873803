"""A no-show from the week page: once an appointment has started, whoever may book it (the
client's care team, a coordinator) records that the client did not attend, with a reason, as
the API does; the week then says "Did not attend"."""

from __future__ import annotations

from datetime import time, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_scheduling_service import actor

from alongside.kit.time import utcnow
from alongside.models import Appointment, AppointmentStatus, AuditEvent, Role, User
from alongside.scheduling import booking, service
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in


def _every_day(db: Session, clinician: User) -> None:
    me = actor(db, clinician, utcnow())
    for weekday in range(7):
        service.add_weekly_hours(
            db, actor=me, clinician_id=clinician.id, weekday=weekday, start=time(0), end=time(23)
        )


def _booked(db: Session, world: World, *, days_ago: float) -> Appointment:
    """An appointment of the own client with the clinician, booked earlier, starting
    ``days_ago`` days before now (negative: in the future)."""
    clinician = world.users[Role.CLINICIAN]
    coordinator = world.users[Role.COORDINATOR]
    _every_day(db, clinician)
    then = utcnow() - timedelta(days=days_ago + 2)
    starts = utcnow() - timedelta(days=days_ago)
    slot = service.free_slots(db, clinician, starts, starts + timedelta(days=1), 50)[0]
    appointment = booking.book_appointment(
        db,
        user=coordinator,
        actor=actor(db, coordinator, then),
        client_id=world.own_client.id,
        clinician_id=clinician.id,
        starts_at=slot.start,
        reason="Weekly session",
        now=then,
    )
    db.flush()
    return appointment


def _week_of(appointment: Appointment) -> str:
    return f"/scheduling/week?start={appointment.starts_at.date().isoformat()}"


def test_a_clinician_marks_a_past_appointment_as_not_attended(
    db: Session, world: World, client: TestClient
) -> None:
    appointment = _booked(db, world, days_ago=1)
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    week = client.get(_week_of(appointment))
    assert week.status_code == 200
    assert "Did not attend?" in week.text
    assert f'action="/scheduling/appointments/{appointment.id}/no-show"' in week.text
    marked = client.post(
        f"/scheduling/appointments/{appointment.id}/no-show",
        data={"csrf_token": csrf, "reason": "Did not join the call; no answer by phone"},
        follow_redirects=False,
    )
    assert marked.status_code == 303, marked.text
    assert marked.headers["location"].endswith(f"#appointment-{appointment.id}")
    shown = client.get(marked.headers["location"])
    assert "Recorded: the client did not attend." in shown.text
    reason = "Did not join the call; no answer by phone"
    assert f"<strong>Did not attend</strong>: {reason}" in shown.text
    assert "did not attend</span>" in shown.text  # the calendar's entry too
    assert "Did not attend?" not in shown.text  # nothing left to mark
    # The consequences the API applies: the status, the reason kept (encrypted), an audit.
    db.expire_all()
    stored = db.get(Appointment, appointment.id)
    assert stored is not None
    assert stored.status is AppointmentStatus.NO_SHOW
    assert stored.reason == "Did not join the call; no answer by phone"
    events = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.resource_type == "appointment")
        .where(AuditEvent.resource_id == str(appointment.id))
        .where(AuditEvent.action == "update")
    ).all()
    assert [e.actor_id for e in events] == [world.users[Role.CLINICIAN].id]


def test_a_missing_reason_shows_the_week_again_with_the_message_in_words(
    db: Session, world: World, client: TestClient
) -> None:
    appointment = _booked(db, world, days_ago=1)
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    response = client.post(
        f"/scheduling/appointments/{appointment.id}/no-show",
        data={"csrf_token": csrf, "reason": "  "},
    )
    assert response.status_code == 422
    assert "Reason: say why (it is kept with the appointment)." in response.text
    assert '<details class="no-show" open>' in response.text
    assert "reason:" not in response.text
    db.expire_all()
    stored = db.get(Appointment, appointment.id)
    assert stored is not None
    assert stored.status is AppointmentStatus.BOOKED


def test_an_appointment_that_has_not_started_cannot_be_marked(
    db: Session, world: World, client: TestClient
) -> None:
    appointment = _booked(db, world, days_ago=-2)
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    week = client.get(_week_of(appointment))
    assert "Did not attend?" not in week.text
    response = client.post(
        f"/scheduling/appointments/{appointment.id}/no-show",
        data={"csrf_token": csrf, "reason": "Not here"},
    )
    assert response.status_code == 409
    assert "only once the appointment has started" in response.text


def test_marking_twice_says_so_in_words(db: Session, world: World, client: TestClient) -> None:
    appointment = _booked(db, world, days_ago=1)
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    url = f"/scheduling/appointments/{appointment.id}/no-show"
    client.post(url, data={"csrf_token": csrf, "reason": "No answer"}, follow_redirects=False)
    again = client.post(url, data={"csrf_token": csrf, "reason": "No answer"})
    assert again.status_code == 409
    assert "already recorded as not attended" in again.text
    assert "no_show" not in again.text


def test_a_coordinator_marks_it_from_the_clinicians_week(
    db: Session, world: World, client: TestClient
) -> None:
    appointment = _booked(db, world, days_ago=1)
    clinician = world.users[Role.CLINICIAN]
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    week = client.get(_week_of(appointment) + f"&clinician_id={clinician.id}")
    assert "Did not attend?" in week.text
    marked = client.post(
        f"/scheduling/appointments/{appointment.id}/no-show",
        data={"csrf_token": csrf, "reason": "Client rang after: forgot"},
        follow_redirects=False,
    )
    assert marked.status_code == 303
    assert f"clinician_id={clinician.id}" in marked.headers["location"]


def test_no_one_outside_the_care_team_or_the_client_marks_it(
    db: Session, world: World, client: TestClient
) -> None:
    appointment = _booked(db, world, days_ago=1)
    url = f"/scheduling/appointments/{appointment.id}/no-show"
    for user in (world.other_clinician, world.client_user):
        client.cookies.clear()
        csrf = sign_in(client, user)
        response = client.post(url, data={"csrf_token": csrf, "reason": "Not here"})
        assert response.status_code == 404, user.role
    db.expire_all()
    stored = db.get(Appointment, appointment.id)
    assert stored is not None
    assert stored.status is AppointmentStatus.BOOKED
