"""Working hours and leave on pages: a clinician changes their own, a coordinator or the clinical
lead anyone's of the organisation; the same rules as the API (an administrator reads hours but
changes none; a clinician never a colleague's); errors in words."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from test_scheduling_service import actor

from alongside.kit.time import utcnow
from alongside.models import AvailabilityKind, Role
from alongside.scheduling import booking, service
from tests.fixtures.factories import World, create_staff
from tests.fixtures.web import sign_in

PAGE = "/scheduling/availability"


def _next_monday() -> date:
    today = utcnow().date()
    return today + timedelta(days=7 - today.weekday())


def _weekdays(db: Session, world: World) -> None:
    clinician = world.users[Role.CLINICIAN]
    me = actor(db, clinician, utcnow())
    for weekday in range(5):
        service.add_weekly_hours(
            db, actor=me, clinician_id=clinician.id, weekday=weekday, start=time(9), end=time(17)
        )
    db.flush()


def test_a_clinician_adds_hours_and_leave_and_sees_them(
    db: Session, world: World, client: TestClient
) -> None:
    _weekdays(db, world)
    clinician = world.users[Role.CLINICIAN]
    csrf = sign_in(client, clinician)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Working hours and leave" in page.text
    assert "Monday</td><td>09:00 to 17:00" in page.text
    assert "No leave booked from today on." in page.text
    added = client.post(
        PAGE + "/hours",
        data={"csrf_token": csrf, "weekday": "5", "start": "10:00", "end": "13:00"},
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    monday = _next_monday()
    leave = client.post(
        PAGE + "/leave",
        data={
            "csrf_token": csrf,
            "first_day": monday.isoformat(),
            "last_day": (monday + timedelta(days=4)).isoformat(),
            "note": "Annual leave",
        },
        follow_redirects=False,
    )
    assert leave.status_code == 303, leave.text
    shown = client.get(leave.headers["location"])
    assert "Saturday</td><td>10:00 to 13:00" in shown.text
    first, last = monday, monday + timedelta(days=4)
    words = f"{first.strftime('%A %d %B')}"
    if first.year != last.year:
        words += f" {first.year}"
    words += f" to {last.strftime('%A %d %B %Y')}"
    assert f"<strong>{words}</strong> (Annual leave)" in shown.text
    assert "The leave was added." in shown.text
    # The consequence: nothing is offered that week (the clinician's zone is UTC here).
    start = datetime.combine(monday, time(0), tzinfo=UTC)
    slots = service.free_slots(db, clinician, start, start + timedelta(days=5), 50)
    assert slots == []
    after = start + timedelta(days=7)
    assert service.free_slots(db, clinician, after, after + timedelta(days=1), 50)


def test_removing_hours_from_the_page(db: Session, world: World, client: TestClient) -> None:
    _weekdays(db, world)
    clinician = world.users[Role.CLINICIAN]
    csrf = sign_in(client, clinician)
    rows = service.list_availability(db, [clinician.id])
    removed = client.post(
        f"{PAGE}/{rows[0].id}/remove", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert len(service.list_availability(db, [clinician.id])) == 4
    # Without the CSRF token nothing is removed.
    refused = client.post(f"{PAGE}/{rows[1].id}/remove", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert len(service.list_availability(db, [clinician.id])) == 4


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"weekday": "0", "start": "9am", "end": "17:00"}, "Start time: enter a time like 09:00."),
        ({"weekday": "0", "start": "09:00", "end": ""}, "End time: enter a time like 17:00."),
        ({"weekday": "0", "start": "17:00", "end": "09:00"}, "End time: must be after the start"),
        ({"weekday": "Mon", "start": "09:00", "end": "17:00"}, "Day: choose a day of the week."),
    ],
)
def test_hours_errors_are_in_words(
    db: Session, world: World, client: TestClient, form: dict[str, str], words: str
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    response = client.post(PAGE + "/hours", data={"csrf_token": csrf, **form})
    assert response.status_code == 422
    assert words in response.text
    assert "weekday:" not in response.text
    assert "start:" not in response.text
    # What was typed is kept.
    assert f'value="{form["start"]}"' in response.text


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"first_day": ""}, "First day of leave: enter a date like 2030-01-07."),
        ({"first_day": "2030-02-08", "last_day": "2030-02-04"}, "Last day: must be on or after"),
        ({"first_day": "2030-02-04", "note": "x" * 201}, "Note: at most 200 characters."),
    ],
)
def test_leave_errors_are_in_words(
    world: World, client: TestClient, form: dict[str, str], words: str
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    response = client.post(PAGE + "/leave", data={"csrf_token": csrf, **form})
    assert response.status_code == 422
    assert words in response.text


def test_a_coordinator_chooses_a_clinician_and_adds_their_leave(
    db: Session, world: World, client: TestClient
) -> None:
    _weekdays(db, world)
    clinician = world.users[Role.CLINICIAN]
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    chooser = client.get(PAGE)
    assert chooser.status_code == 200
    assert "Choose a clinician" in chooser.text
    assert clinician.display_name in chooser.text
    assert world.users[Role.CLINICAL_LEAD].display_name in chooser.text
    page = client.get(PAGE, params={"clinician_id": str(clinician.id)})
    assert f"{clinician.display_name}: working hours and leave" in page.text
    added = client.post(
        PAGE + "/leave",
        data={"csrf_token": csrf, "clinician_id": str(clinician.id), "first_day": "2030-02-04"},
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    [leave] = [
        r for r in service.list_availability(db, [clinician.id]) if r.kind is AvailabilityKind.LEAVE
    ]
    assert leave.starts_at == datetime(2030, 2, 4, tzinfo=UTC)
    assert leave.ends_at == datetime(2030, 2, 5, tzinfo=UTC)
    shown = client.get(added.headers["location"])
    assert "Monday 04 February 2030" in shown.text


def test_leave_over_booked_appointments_says_they_are_not_moved(
    db: Session, world: World, client: TestClient
) -> None:
    _weekdays(db, world)
    clinician = world.users[Role.CLINICIAN]
    coordinator = world.users[Role.COORDINATOR]
    now = utcnow()
    monday = _next_monday() + timedelta(days=7)
    booking.book_appointment(
        db,
        user=coordinator,
        actor=actor(db, coordinator, now),
        client_id=world.own_client.id,
        clinician_id=clinician.id,
        starts_at=datetime.combine(monday, time(10), tzinfo=UTC),
        reason="Assessment",
        now=now,
    )
    db.flush()
    csrf = sign_in(client, clinician)
    added = client.post(
        PAGE + "/leave",
        data={"csrf_token": csrf, "first_day": monday.isoformat()},
        follow_redirects=False,
    )
    shown = client.get(added.headers["location"])
    assert "1 booked appointment falls in this leave and is not moved" in shown.text


def test_a_clinician_changes_no_colleagues_hours(
    db: Session, world: World, client: TestClient
) -> None:
    colleague = world.other_clinician
    row = service.add_weekly_hours(
        db,
        actor=actor(db, colleague, utcnow()),
        clinician_id=colleague.id,
        weekday=0,
        start=time(9),
        end=time(17),
    )
    db.flush()
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    own = client.get(PAGE)
    assert "Show their hours" not in own.text  # no chooser for a clinician
    assert client.get(PAGE, params={"clinician_id": str(colleague.id)}).status_code == 404
    hours = {"csrf_token": csrf, "clinician_id": str(colleague.id), "weekday": "5"}
    hours |= {"start": "09:00", "end": "12:00"}
    assert client.post(PAGE + "/hours", data=hours).status_code == 404
    assert client.post(f"{PAGE}/{row.id}/remove", data={"csrf_token": csrf}).status_code == 404
    assert len(service.list_availability(db, [colleague.id])) == 1


def test_another_organisations_clinician_is_not_found(
    db: Session, world: World, client: TestClient
) -> None:
    foreign = create_staff(db, world.other_org, Role.CLINICIAN)
    db.flush()
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    assert client.get(PAGE, params={"clinician_id": str(foreign.id)}).status_code == 404
    leave = {"csrf_token": csrf, "clinician_id": str(foreign.id), "first_day": "2030-02-04"}
    assert client.post(PAGE + "/leave", data=leave).status_code == 404
    assert client.get(PAGE, params={"clinician_id": "not-an-id"}).status_code == 404


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CLIENT])
def test_administrators_and_clients_have_no_hours_page(
    world: World, client: TestClient, role: Role
) -> None:
    sign_in(client, world.users[role])
    assert client.get(PAGE, headers={"accept": "text/html"}).status_code == 404


def test_the_api_and_the_pages_agree_an_administrator_changes_no_hours(
    db: Session, world: World, client: TestClient
) -> None:
    """The API's gate used to let an administrator (user.manage) through to a service that then
    refused; now both say the same: the clinician, a coordinator or the clinical lead."""
    clinician = world.users[Role.CLINICIAN]
    csrf = sign_in(client, world.users[Role.ADMIN])
    body = {"kind": "weekly", "weekday": 5, "start": "09:00", "end": "12:00"}
    url = f"/api/scheduling/clinicians/{clinician.id}/availability"
    assert client.post(url, json=body, headers={"X-CSRF-Token": csrf}).status_code == 404
    # Reading them is still open to the administrator, as before.
    assert client.get(url).status_code == 200
    client.cookies.clear()
    csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    assert client.post(url, json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    page = client.get(PAGE, params={"clinician_id": str(clinician.id)})
    assert re.search(r"Saturday</td><td>09:00 to 12:00", page.text)


def test_a_clinician_without_a_profile_works_on_the_clinics_clock(
    db: Session, world: World, client: TestClient
) -> None:
    """Hours are wall-clock times; without a profile naming a zone they used to be read in UTC,
    five hours off for a New York clinic (and the page said "UTC")."""
    world.org.timezone = "America/New_York"
    lead = world.users[Role.CLINICAL_LEAD]
    service.add_weekly_hours(
        db,
        actor=actor(db, lead, utcnow()),
        clinician_id=lead.id,
        weekday=0,
        start=time(9),
        end=time(10),
    )
    db.flush()
    monday = datetime(2030, 1, 7, tzinfo=UTC)
    [slot] = service.free_slots(db, lead, monday, monday + timedelta(days=1), 60)
    assert slot.start == datetime(2030, 1, 7, 14, tzinfo=UTC)  # 09:00 in New York
    sign_in(client, lead)
    page = client.get(PAGE)
    assert "your time zone, America/New York" in page.text
    assert "UTC" not in page.text


def test_who_changed_hours_and_leave_is_in_the_audit_log(
    db: Session, world: World, client: TestClient
) -> None:
    from sqlalchemy import select

    from alongside.models import AuditEvent

    def events() -> list[tuple[str, str | None]]:
        db.expire_all()
        rows = db.scalars(select(AuditEvent).where(AuditEvent.resource_type == "availability"))
        return sorted((e.action, e.actor_name) for e in rows)

    coordinator = world.users[Role.COORDINATOR]
    clinician = world.users[Role.CLINICIAN]
    assert events() == []
    csrf = sign_in(client, coordinator)
    added = client.post(
        f"{PAGE}/hours",
        data={
            "csrf_token": csrf,
            "clinician_id": str(clinician.id),
            "weekday": "2",
            "start": "09:00",
            "end": "13:00",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    row = service.list_availability(db, [clinician.id])[0]
    removed = client.post(
        f"{PAGE}/{row.id}/remove", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert removed.status_code == 303
    name = coordinator.display_name
    assert events() == sorted([("create", name), ("delete", name)])


def test_scheduling_pages_follow_the_readers_own_time_zone(
    db: Session, world: World, client: TestClient
) -> None:
    clinician = world.users[Role.CLINICIAN]
    coordinator = world.users[Role.COORDINATOR]
    world.org.timezone = "Europe/London"
    service.add_leave(
        db,
        actor=actor(db, clinician, utcnow()),
        clinician_id=clinician.id,
        starts_at=datetime(2030, 2, 4, 15, 0, tzinfo=UTC),
        ends_at=datetime(2030, 2, 4, 17, 0, tzinfo=UTC),
    )
    db.commit()
    sign_in(client, coordinator)
    page = {"clinician_id": str(clinician.id)}
    # The organisation's clock first (London in February: GMT), named.
    assert "Mon 04 Feb 2030, 15:00 GMT" in client.get(PAGE, params=page).text
    coordinator.timezone = "Asia/Tokyo"
    db.commit()
    shown = client.get(PAGE, params=page).text
    assert "Tue 05 Feb 2030, 00:00 JST" in shown
    assert "15:00 GMT" not in shown


def test_extra_hours_on_one_day_from_the_page(
    db: Session, world: World, client: TestClient
) -> None:
    clinician = world.users[Role.CLINICIAN]
    csrf = sign_in(client, clinician)
    day = _next_monday() + timedelta(days=5)  # a Saturday
    added = client.post(
        PAGE + "/extra",
        data={
            "csrf_token": csrf,
            "clinician_id": str(clinician.id),
            "extra_day": day.isoformat(),
            "extra_start": "10:00",
            "extra_end": "13:00",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    [extra] = [
        r for r in service.list_availability(db, [clinician.id]) if r.kind is AvailabilityKind.EXTRA
    ]
    assert (extra.day, extra.local_start, extra.local_end) == (day, time(10), time(13))
    shown = client.get(added.headers["location"]).text
    assert "The extra hours were added" in shown
    assert f"{day.strftime('%A %d %B %Y')}, 10:00 to 13:00" in shown
    # In words, nothing stored: a past day, an end before the start.
    for form, words in (
        ({"extra_day": "2020-01-04", "extra_start": "10:00", "extra_end": "13:00"}, "Date: extra"),
        ({"extra_day": day.isoformat(), "extra_start": "13:00", "extra_end": "10:00"}, "End time"),
    ):
        refused = client.post(
            PAGE + "/extra",
            data={"csrf_token": csrf, "clinician_id": str(clinician.id), **form},
        )
        assert refused.status_code == 422
        assert words in refused.text
    assert len(service.list_availability(db, [clinician.id])) == 1


def test_a_coordinator_chooses_whose_week_to_see(
    db: Session, world: World, client: TestClient
) -> None:
    clinician = world.users[Role.CLINICIAN]
    lead = world.users[Role.CLINICAL_LEAD]
    sign_in(client, world.users[Role.COORDINATOR])
    first = client.get("/scheduling/week", params={"start": "2030-02-04"})
    assert first.status_code == 200  # a coordinator keeps no calendar, but sees others'
    assert 'id="choose-clinician"' in first.text
    assert clinician.display_name in first.text
    chosen = client.get(
        "/scheduling/week", params={"start": "2030-02-04", "clinician_id": str(lead.id)}
    )
    assert f"{lead.display_name}: the week" in chosen.text
    assert 'name="start" value="2030-02-04"' in chosen.text
    # A clinician sees their own week, with nobody to choose.
    client.cookies.clear()
    sign_in(client, clinician)
    own = client.get("/scheduling/week")
    assert f"{clinician.display_name}: the week" in own.text
    assert 'id="choose-clinician"' not in own.text
