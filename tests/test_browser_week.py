"""Real Chromium: a clinician sees the week as a calendar grid, each appointment a link to the
client's record, at its hour and day in the clinic's time zone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from alongside.db import build_engine, key_provider_for, make_sessionmaker, session_scope
from alongside.models import Appointment, AppointmentStatus, Client, User

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser
ZONE = ZoneInfo("America/New_York")  # the demo clinic's


def _an_appointment(live: LiveServer) -> dict[str, Any]:
    engine = build_engine(live.settings.database_url)
    try:
        factory = make_sessionmaker(engine, key_provider_for(live.settings))
        with session_scope(factory) as session:
            # A booked one: other tests may cancel or move appointments meanwhile. clinician1's,
            # whose sign-in no other test changes (the staff-access test has clinician5's second
            # factor reset, after which their sign-in sets up a new one before /home).
            appointment = session.scalars(
                select(Appointment)
                .join(User, User.id == Appointment.clinician_id)
                .where(Appointment.status == AppointmentStatus.BOOKED)
                .where(User.email == "clinician1@demo.test")
                .order_by(Appointment.starts_at)
            ).first()
            assert appointment is not None, "the demo books appointments"
            client = session.get(Client, appointment.client_id)
            clinician = session.get(User, appointment.clinician_id)
            assert client is not None
            assert clinician is not None
            local = appointment.starts_at.astimezone(ZONE)
            return {
                "client_id": str(client.id),
                "name": f"{client.given_name} {client.family_name}",
                "email": clinician.email,
                "day": local.date(),
                "label": local.strftime("%H:%M"),
                "hour": f"{local.hour:02d}:00",
            }
    finally:
        engine.dispose()


def test_the_week_is_a_calendar_of_linked_appointments(live_server: LiveServer) -> None:
    booked = _an_appointment(live_server)
    page = live_server.new_page()
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(booked["email"])
    page.get_by_label("Password").fill("alongside-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/home")
    page.goto(live_server.url + f"/scheduling/week?start={booked['day'].isoformat()}")
    calendar = page.get_by_role("table", name="Appointments by hour and day")
    headers = calendar.locator("thead th").all_inner_texts()
    assert len(headers) == 8
    assert any(h.startswith(booked["day"].strftime("%a %d")) for h in headers)
    row = calendar.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=booked["hour"], exact=True)
    )
    link = row.get_by_role("link", name=f"{booked['label']} {booked['name']}")
    assert link.is_visible(), calendar.inner_text()[:3000]
    # In the column of its day.
    column = headers.index(
        next(h for h in headers if h.startswith(booked["day"].strftime("%a %d")))
    )
    cell = row.locator("td").nth(column - 1)
    assert booked["name"] in cell.inner_text()
    link.click()
    page.wait_for_url(live_server.url + f"/clients/{booked['client_id']}")
    assert page.get_by_role("heading", level=1).inner_text() == booked["name"]
