"""Real Chromium, as the role that uses each page: a clinician keeps their hours and leave and
marks a session not attended, a coordinator changes a colleague's leave, takes a client off the
waitlist with a reason and sends an intake link by email, a clinician asks a client for
questionnaires again. Each checks what a person would look for on the page, and in the database
what the page promised; axe-core finds nothing serious on the new pages."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.accounts.service import find_user_by_email
from alongside.db import build_engine, key_provider_for, make_sessionmaker, session_scope
from alongside.kit.time import utcnow
from alongside.models import (
    Appointment,
    AppointmentStatus,
    CareTeam,
    Client,
    Intake,
    OutboxMessage,
    User,
    WaitlistEntry,
    WaitlistStatus,
)
from alongside.scheduling import booking, service, waitlist
from alongside.security.access import actor_for

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
ZONE = ZoneInfo("America/New_York")  # the demo clinic's, and its clinicians'
CLINICIAN = "clinician1@demo.test"
COORDINATOR = "coordinator@demo.test"


@contextmanager
def _committed(live: LiveServer) -> Iterator[Session]:
    engine = build_engine(live.settings.effective_database_url)
    try:
        factory = make_sessionmaker(engine, key_provider_for(live.settings))
        with session_scope(factory) as session:
            yield session
    finally:
        engine.dispose()


def _user(session: Session, email: str) -> User:
    user = find_user_by_email(session, email)
    assert user is not None, email
    return user


def _page(live: LiveServer) -> Any:
    # axe is injected as a script, which the app's CSP refuses; this context bypasses it.
    context = live.browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    live.contexts.append(context)
    return context.new_page()


def _sign_in(page: Any, live: LiveServer, email: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("alongside-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/home")


def _axe(page: Any) -> None:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run()")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in bad]


def _days(first: date, last: date) -> str:
    words = first.strftime("%A %d %B")
    if first == last:
        return f"{words} {first.year}"
    if first.year != last.year:
        words += f" {first.year}"
    return f"{words} to {last.strftime('%A %d %B %Y')}"


def test_a_clinician_keeps_their_hours_and_leave(live_server: LiveServer) -> None:
    page = _page(live_server)
    _sign_in(page, live_server, CLINICIAN)
    page.get_by_role("navigation").get_by_role("link", name="Hours and leave").click()
    page.wait_for_url("**/scheduling/availability")
    assert page.get_by_role("heading", name="Working hours and leave", level=1).is_visible()
    # The demo's leave: next Monday and Tuesday.
    today = utcnow().astimezone(ZONE).date()
    monday = today + timedelta(days=7 - today.weekday())
    leave = page.locator('section[aria-labelledby="leave-heading"]')
    assert f"{_days(monday, monday + timedelta(days=1))} (Annual leave)" in leave.inner_text()
    hours = page.locator('section[aria-labelledby="hours-heading"] table')
    assert "Monday\t09:00 to 17:00" in hours.inner_text()
    _axe(page)

    # Saturday morning hours.
    weekly = page.get_by_role("form", name="Add hours")
    weekly.get_by_label("Day", exact=True).select_option(label="Saturday")
    weekly.get_by_label("Start time").fill("10:00")
    weekly.get_by_label("End time").fill("13:00")
    weekly.get_by_role("button", name="Add these hours").click()
    page.wait_for_url("**saved=hours**")
    assert page.get_by_text("The hours were added.").is_visible()
    saturday = hours.get_by_role("row").filter(has_text="Saturday")
    assert "10:00 to 13:00" in saturday.inner_text()

    # A day of leave in four weeks, then taken back.
    away = monday + timedelta(days=23)
    page.get_by_label("First day of leave").fill(away.isoformat())
    page.get_by_label("Note").fill("Training day")
    page.get_by_role("button", name="Add the leave").click()
    page.wait_for_url("**saved=leave**")
    assert page.get_by_text("The leave was added.").is_visible()
    item = leave.get_by_role("listitem").filter(has_text="Training day")
    assert _days(away, away) in item.inner_text()
    _axe(page)
    item.get_by_role("button", name=f"Remove the leave {_days(away, away)}").click()
    page.wait_for_url("**saved=removed**")
    assert leave.get_by_role("listitem").filter(has_text="Training day").count() == 0
    saturday.get_by_role("button", name="Remove Saturday 10:00 to 13:00").click()
    page.wait_for_url("**saved=removed**")
    assert hours.get_by_role("row").filter(has_text="Saturday").count() == 0


def test_a_coordinator_adds_leave_for_a_clinician(live_server: LiveServer) -> None:
    with _committed(live_server) as session:
        colleague = _user(session, "clinician4@demo.test")
        name, colleague_id = colleague.display_name, colleague.id
    page = _page(live_server)
    _sign_in(page, live_server, COORDINATOR)
    page.get_by_role("navigation").get_by_role("link", name="Hours and leave").click()
    page.wait_for_url("**/scheduling/availability")
    assert page.get_by_text("Choose a clinician").is_visible()
    page.get_by_label("Clinician").select_option(label=name)
    page.get_by_role("button", name="Show their hours").click()
    page.wait_for_url(f"**clinician_id={colleague_id}")
    assert page.get_by_role("heading", name=f"{name}: working hours and leave").is_visible()
    first = utcnow().astimezone(ZONE).date() + timedelta(days=40)
    page.get_by_label("First day of leave").fill(first.isoformat())
    page.get_by_label("Last day of leave").fill((first + timedelta(days=2)).isoformat())
    page.get_by_label("Note").fill("Conference")
    page.get_by_role("button", name="Add the leave").click()
    page.wait_for_url("**saved=leave**")
    leave = page.locator('section[aria-labelledby="leave-heading"]')
    assert f"{_days(first, first + timedelta(days=2))} (Conference)" in leave.inner_text()
    _axe(page)
    # Nothing is offered with them those days.
    with _committed(live_server) as session:
        clinician = session.get(User, colleague_id)
        assert clinician is not None
        start = _local_midnight(first)
        assert service.free_slots(session, clinician, start, start + timedelta(days=3), 50) == []


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZONE)


def test_a_clinician_marks_a_session_not_attended(live_server: LiveServer) -> None:
    now = utcnow()
    with _committed(live_server) as session:
        clinician = _user(session, CLINICIAN)
        coordinator = _user(session, COORDINATOR)
        person = Client(
            organization_id=clinician.organization_id,
            given_name="Ottoline",
            family_name=f"Missedit{uuid.uuid4().hex[:5]}",
            preferred_language="en",
        )
        session.add(person)
        session.flush()
        slots = service.free_slots(session, clinician, now - timedelta(days=5), now, 50)
        assert slots, "clinician1 worked in the last five days"
        starts = slots[-1].start
        booked_at = starts - timedelta(days=3)
        appointment = booking.book_appointment(
            session,
            user=coordinator,
            actor=actor_for(session, coordinator, booked_at),
            client_id=person.id,
            clinician_id=clinician.id,
            starts_at=starts,
            reason="Weekly session",
            now=booked_at,
        )
        appointment_id = appointment.id
        name = f"{person.given_name} {person.family_name}"
    page = _page(live_server)
    _sign_in(page, live_server, CLINICIAN)
    # The demo's own no-show, last week, with its reason.
    page.goto(live_server.url + "/scheduling/week")
    page.get_by_role("link", name="Previous week").click()
    page.wait_for_load_state()
    assert page.get_by_text(
        "Did not attend: Did not join the video call; no answer to two phone calls"
    ).is_visible()

    day = starts.astimezone(ZONE).date()
    page.goto(f"{live_server.url}/scheduling/week?start={day.isoformat()}")
    item = page.locator(f"#appointment-{appointment_id}")
    assert name in item.inner_text()
    item.locator("summary").click()
    item.get_by_label("What happened").fill("No answer to the video call or two phone calls")
    _axe(page)
    item.get_by_role("button", name="Mark as not attended").click()
    page.wait_for_url("**done=no_show**")
    assert page.get_by_text("Recorded: the client did not attend.").is_visible()
    item = page.locator(f"#appointment-{appointment_id}")
    assert "Did not attend: No answer to the video call or two phone calls" in item.inner_text()
    assert item.locator("summary").count() == 0
    with _committed(live_server) as session:
        stored = session.get(Appointment, appointment_id)
        assert stored is not None
        assert stored.status is AppointmentStatus.NO_SHOW


def test_a_coordinator_takes_a_client_off_the_waitlist(live_server: LiveServer) -> None:
    now = utcnow()
    with _committed(live_server) as session:
        clinician = _user(session, CLINICIAN)
        person = Client(
            organization_id=clinician.organization_id,
            given_name="Zephyrine",
            family_name=f"Leaving{uuid.uuid4().hex[:5]}",
            preferred_language="en",
        )
        session.add(person)
        session.flush()
        entry = waitlist.add_to_waitlist(
            session,
            client_id=person.id,
            urgency="routine",
            pathway="low-intensity",
            decided_by=clinician,
            now=now,
        )
        entry_id, family = entry.id, person.family_name
    page = _page(live_server)
    _sign_in(page, live_server, COORDINATOR)
    page.get_by_role("navigation").get_by_role("link", name="Waitlist").click()
    page.wait_for_url("**/scheduling/waitlist")
    left = page.locator('section[aria-labelledby="left-heading"]')
    # The demo's client who found care elsewhere.
    assert "Found care elsewhere: started with a therapist through their employer" in (
        left.inner_text()
    )
    row = page.locator(f"#entry-{entry_id}")
    assert f"{family}, Zephyrine" in row.inner_text()
    row.locator("summary").click()
    row.get_by_label("Why Zephyrine leaves the list").fill("Moved out of the area")
    _axe(page)
    row.get_by_role("button", name="Take Zephyrine off the waitlist").click()
    page.wait_for_url("**removed=**")
    assert page.get_by_text("Taken off the waitlist.").is_visible()
    assert page.locator(f"#entry-{entry_id}").count() == 0
    gone = left.get_by_role("row").filter(has_text=family)
    assert "Moved out of the area" in gone.inner_text()
    with _committed(live_server) as session:
        stored = session.get(WaitlistEntry, entry_id)
        assert stored is not None
        assert stored.status is WaitlistStatus.REMOVED
        assert stored.status_reason == "Moved out of the area"


def test_a_coordinator_sends_an_intake_link_by_email(live_server: LiveServer) -> None:
    with _committed(live_server) as session:
        coordinator = _user(session, COORDINATOR)
        # A client with an address, reviewed by their own primary clinician.
        pair = session.execute(
            select(Client, User)
            .join(CareTeam, CareTeam.client_id == Client.id)
            .join(User, User.id == CareTeam.clinician_id)
            .where(Client.organization_id == coordinator.organization_id)
            .where(CareTeam.team_role == "primary")
            .where(Client.email_ct.is_not(None))
            .where(Client.status == "active")
            .order_by(Client.created_at.desc())
        ).first()
        assert pair is not None
        person, reviewer = pair
        assert person.email
        client_id, email = person.id, person.email
        label = f"{person.family_name}, {person.given_name}"
        reviewer_name = reviewer.display_name
    page = _page(live_server)
    _sign_in(page, live_server, COORDINATOR)
    page.get_by_role("navigation").get_by_role("link", name="New intake").click()
    page.wait_for_url("**/intakes/new")
    # The client is found by the exact email on their record, as on every search box.
    page.get_by_label("Find an existing client").fill(email)
    page.get_by_role("button", name="Find the client").click()
    page.wait_for_url(lambda url: "client_q=" in url)
    page.get_by_role("group", name="Client").get_by_role(
        "radio", name=re.compile("^" + re.escape(label))
    ).check()
    page.get_by_label("Reviewing clinician").select_option(label=reviewer_name)
    page.get_by_label("Send it to the client by email").check()
    _axe(page)
    page.get_by_role("button", name="Create the link").click()
    page.get_by_role("heading", name="Intake link sent by email").wait_for()
    assert page.get_by_role("heading", name="Intake link sent by email").is_visible()
    assert (
        page.get_by_role("status")
        .inner_text()
        .startswith(f"The link is queued to be emailed to {email}.")
    )
    _axe(page)
    with _committed(live_server) as session:
        intake = session.scalars(
            select(Intake).where(Intake.client_id == client_id).order_by(Intake.created_at.desc())
        ).first()
        assert intake is not None
        message = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "intake_link")
            .where(OutboxMessage.client_id == client_id)
        ).first()
        assert message is not None
        assert message.recipient == email
        assert message.payload["intake_id"] == str(intake.id)
        assert f"{live_server.settings.effective_public_url}/intake/" in message.body


def test_a_clinician_asks_for_questionnaires_again(live_server: LiveServer) -> None:
    with _committed(live_server) as session:
        clinician = _user(session, CLINICIAN)
        person = session.scalars(
            select(Client)
            .join(CareTeam, CareTeam.client_id == Client.id)
            .where(CareTeam.clinician_id == clinician.id)
            .where(Client.email_ct.is_not(None))
            .where(Client.status == "active")
        ).first()
        assert person is not None
        client_id, email = person.id, person.email
    page = _page(live_server)
    _sign_in(page, live_server, CLINICIAN)
    page.goto(f"{live_server.url}/clients/{client_id}")
    section = page.locator('section[aria-labelledby="measures-section-heading"]')
    assert section.get_by_role("heading", name="Ask for questionnaires again now").is_visible()
    section.get_by_label("GAD-7").uncheck()
    section.get_by_label("PHQ-9").check()
    section.get_by_role("button", name="Send these questionnaires now").click()
    page.get_by_role("heading", name="Questionnaires sent").wait_for()
    assert page.get_by_role("heading", name="Questionnaires sent").is_visible()
    assert (
        page.get_by_role("status")
        .inner_text()
        .startswith(f"PHQ-9: a private link is queued to be emailed to {email}.")
    )
    _axe(page)
    with _committed(live_server) as session:
        intake = session.scalars(
            select(Intake).where(Intake.client_id == client_id).order_by(Intake.created_at.desc())
        ).first()
        assert intake is not None
        assert list(intake.instruments) == ["phq9"]
        assert intake.reviewer_id == _user(session, CLINICIAN).id
