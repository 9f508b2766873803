"""The scheduling pages in real Chromium: the coordinator confirms a waitlist proposal, a
clinician reads their week and subscribes to a calendar feed, a client cancels an appointment.
Every request stays on the live server's origin and axe-core finds nothing serious."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
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
    Organization,
    User,
    WaitlistEntry,
    WaitlistStatus,
)
from alongside.scheduling import booking, service
from alongside.security.access import actor_for

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser

AXE = Path(__file__).parents[1] / "vendor" / "axe-core" / "axe.min.js"
PASSWORD = "alongside-demo"
COORDINATOR = "coordinator@demo.test"
CLINICIAN = "clinician1@demo.test"
CLIENT = "client@demo.test"
# Most urgent first: the order the waitlist page promises.
URGENCY_ORDER = ("crisis", "urgent", "soon", "routine")
# The format the scheduling pages use for a local time.
LOCAL_FORMAT = "%a %d %b %Y, %H:%M"


@contextmanager
def _committed(live: LiveServer) -> Iterator[Session]:
    """A session on the live server's database whose work is committed on exit."""
    engine = build_engine(live.settings.effective_database_url)
    try:
        factory = make_sessionmaker(engine, key_provider_for(live.settings))
        with session_scope(factory) as session:
            yield session
    finally:
        engine.dispose()


def _user(session: Session, email: str) -> User:
    user = find_user_by_email(session, email)  # client logins are found by blind index
    assert user is not None, email
    return user


def _zone(session: Session, user: User) -> ZoneInfo:
    organization = session.get(Organization, user.organization_id)
    assert organization is not None
    return ZoneInfo(organization.timezone)


def _book(
    live: LiveServer, *, client_id: uuid.UUID | None, clinician_email: str, not_before: timedelta
) -> tuple[uuid.UUID, datetime, str]:
    """Book (as the coordinator, committed) the clinician's first free slot after
    ``not_before`` from now, for the given client or a new one; returns the appointment id, its
    start and the client's name."""
    now = utcnow()
    with _committed(live) as session:
        coordinator = _user(session, COORDINATOR)
        clinician = _user(session, clinician_email)
        if client_id is None:
            client = Client(
                organization_id=clinician.organization_id,
                site_id=clinician.site_id,
                given_name="Ferdinand",
                family_name=f"Quillfeather{uuid.uuid4().hex[:6]}",
                preferred_language="en",
            )
            session.add(client)
            session.flush()
        else:
            found = session.get(Client, client_id)
            assert found is not None
            client = found
        minutes = service.rules_for(session, clinician.organization_id).slot_minutes
        slots = service.free_slots(
            session, clinician, now + not_before, now + not_before + timedelta(days=21), minutes
        )
        assert slots, f"{clinician_email} has no free time to book"
        appointment = booking.book_appointment(
            session,
            user=coordinator,
            actor=actor_for(session, coordinator, now),
            client_id=client.id,
            clinician_id=clinician.id,
            starts_at=slots[0].start,
            kind="assessment",
            reason="Browser test appointment",
            now=now,
        )
        return appointment.id, appointment.starts_at, f"{client.given_name} {client.family_name}"


def _page(live: LiveServer, requests: list[str]) -> Any:
    # axe is injected as an inline script, which the app's CSP rightly refuses; the test's
    # browser context bypasses CSP for that one purpose.
    context = live.browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    live.contexts.append(context)
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    return page


def _sign_in(page: Any, live: LiveServer, email: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/home")


def _nav(page: Any, name: str, path: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(f"**{path}")


def _axe(page: Any) -> None:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run()")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in bad]


def _only_our_origin(live: LiveServer, requests: list[str]) -> None:
    assert requests, "the pages made no requests at all"
    origin = urlsplit(live.url)
    foreign = [
        url
        for url in requests
        if not url.startswith("data:")
        and (urlsplit(url).scheme, urlsplit(url).netloc) != (origin.scheme, origin.netloc)
    ]
    assert foreign == []


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def test_coordinator_confirms_a_proposal_from_the_waitlist(live_server: LiveServer) -> None:
    requests: list[str] = []
    page = _page(live_server, requests)
    _sign_in(page, live_server, COORDINATOR)
    _nav(page, "Waitlist", "/scheduling/waitlist")
    assert page.get_by_role("heading", name="Waitlist and match proposals").is_visible()

    # Waiting clients, most urgent first (the demo waitlist has every urgency).
    # The waiting table's rows (the page also lists those recently taken off the list).
    rows = page.locator('section[aria-labelledby="waitlist-heading"] table tbody tr')
    # Shown in words ("Crisis"); the order is checked on the urgencies they name.
    urgencies = [u.lower() for u in rows.locator("td:nth-child(2)").all_inner_texts()]
    assert set(URGENCY_ORDER) <= set(urgencies)
    ranks = [URGENCY_ORDER.index(u) for u in urgencies]
    assert ranks == sorted(ranks)
    assert urgencies[0] == "crisis"

    # A proposal, with the reasons it was made.
    proposals = page.locator("article.proposal")
    assert proposals.count() >= 1
    proposal = proposals.first
    reasons = [r.strip() for r in proposal.locator("li").all_inner_texts()]
    assert reasons
    assert all(reasons)
    entry_id = proposal.locator('input[name="entry_id"]').get_attribute("value")
    clinician_id = proposal.locator('input[name="clinician_id"]').get_attribute("value")
    starts_at = datetime.fromisoformat(
        proposal.locator('input[name="starts_at"]').get_attribute("value")
    )
    client_name = proposal.get_by_role("heading").inner_text().split(" (")[0]
    assert page.locator(f"#entry-{entry_id}").count() == 1
    _axe(page)

    proposal.get_by_role("button", name="Confirm and book").click()
    page.wait_for_url("**/scheduling/waitlist?booked=*")
    assert page.get_by_text(
        "The appointment is booked and the client has left the waitlist."
    ).is_visible()
    assert page.locator(f"#entry-{entry_id}").count() == 0
    assert page.locator(f'article.proposal input[value="{entry_id}"]').count() == 0
    appointment_id = parse_qs(urlsplit(page.url).query)["booked"][0]
    _axe(page)

    with _committed(live_server) as session:
        appointment = session.get(Appointment, uuid.UUID(appointment_id))
        entry = session.get(WaitlistEntry, uuid.UUID(entry_id))
        assert appointment is not None
        assert entry is not None
        assert appointment.status is AppointmentStatus.BOOKED
        assert appointment.client_id == entry.client_id
        assert str(appointment.clinician_id) == clinician_id
        assert appointment.starts_at == starts_at
        assert entry.status is WaitlistStatus.BOOKED
        zone = _zone(session, _user(session, COORDINATOR))

    # The clinician's week shows the new appointment.
    local = starts_at.astimezone(zone)
    page.goto(
        f"{live_server.url}/scheduling/week?clinician_id={clinician_id}"
        f"&start={local.date().isoformat()}"
    )
    day = page.locator(f'section[aria-labelledby="day-{local.date().isoformat()}"]')
    booked = day.locator("li", has_text=client_name)
    assert booked.count() == 1
    assert booked.inner_text().startswith(local.strftime(LOCAL_FORMAT))
    _axe(page)
    _only_our_origin(live_server, requests)


def test_clinician_reads_their_week_and_subscribes_to_a_calendar_feed(
    live_server: LiveServer,
) -> None:
    appointment_id, starts_at, name = _book(
        live_server, client_id=None, clinician_email=CLINICIAN, not_before=timedelta(days=2)
    )
    with _committed(live_server) as session:
        clinician = _user(session, CLINICIAN)
        display_name = clinician.display_name
        zone = _zone(session, clinician)
        org_clients = session.scalars(
            select(Client).where(Client.organization_id == clinician.organization_id)
        ).all()
        names = {str(n) for c in org_clients for n in (c.given_name, c.family_name)}
    assert len(names) > 20

    requests: list[str] = []
    page = _page(live_server, requests)
    _sign_in(page, live_server, CLINICIAN)
    _nav(page, "My week", "/scheduling/week")
    assert page.get_by_role("heading", name=f"{display_name}: the week").is_visible()
    local = starts_at.astimezone(zone)
    weeks_ahead = (_monday(local.date()) - _monday(utcnow().astimezone(zone).date())).days // 7
    for _ in range(weeks_ahead):
        page.get_by_role("link", name="Next week").click()
        page.wait_for_load_state()
    day = page.locator(f'section[aria-labelledby="day-{local.date().isoformat()}"]')
    shown = day.locator("li", has_text=name)
    assert shown.count() == 1
    text = shown.inner_text()
    assert text.startswith(local.strftime(LOCAL_FORMAT))
    assert "assessment" in text
    assert "Telehealth" in text
    _axe(page)

    page.get_by_role("button", name="Create a calendar address").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Your calendar address").is_visible()
    feed_url = page.locator("code").inner_text().strip()
    assert re.fullmatch(re.escape(live_server.url) + r"/calendar/[\w-]+\.ics", feed_url)
    _axe(page)

    response = page.request.get(feed_url)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    body = response.body()
    calendar = Calendar.from_ical(body)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    mine = events[f"{appointment_id}@alongside"]
    assert str(mine["SUMMARY"]) == f"{name[0]}{name.split()[1][0]} - assessment"
    assert mine.decoded("DTSTART") == starts_at
    # No client's name anywhere in the feed (initials only); unfold lines before searching.
    unfolded = body.decode("utf-8").replace("\r\n ", "")
    present = {n for n in names if re.search(rf"\b{re.escape(n)}\b", unfolded)}
    assert present == set()

    # The new address is listed on the week page; revoking it stops it working.
    page.get_by_role("link", name="Back to your week").click()
    page.wait_for_url("**/scheduling/week")
    feeds = page.locator('section[aria-labelledby="feeds-heading"] li')
    assert feeds.count() >= 1
    feeds.first.get_by_role("button", name="Revoke").click()
    page.wait_for_url("**/scheduling/week")
    assert page.request.get(feed_url).status == 404
    _only_our_origin(live_server, requests)


def test_client_cancels_an_appointment_with_a_reason(live_server: LiveServer) -> None:
    with _committed(live_server) as session:
        portal = _user(session, CLIENT)
        assert portal.client_id is not None
        client_id = portal.client_id
        cutoff = service.rules_for(session, portal.organization_id).client_change_cutoff_hours
        primary = session.scalar(
            select(User)
            .join(CareTeam, CareTeam.clinician_id == User.id)
            .where(CareTeam.client_id == client_id, CareTeam.team_role == "primary")
        )
        assert primary is not None
        clinician_email, clinician_name = primary.email, primary.display_name
    # Well outside the cut-off, so the client may cancel it online.
    appointment_id, _starts_at, _name = _book(
        live_server,
        client_id=client_id,
        clinician_email=clinician_email,
        not_before=timedelta(hours=cutoff + 48),
    )

    requests: list[str] = []
    page = _page(live_server, requests)
    _sign_in(page, live_server, CLIENT)
    _nav(page, "Appointments", "/scheduling/appointments")
    assert page.get_by_role("heading", name="Your appointments", exact=True).is_visible()
    card = page.locator(f'section[aria-labelledby="appt-{appointment_id}"]')
    assert card.get_by_role("heading").inner_text().endswith(f"assessment with {clinician_name}")
    _axe(page)

    card.get_by_label("Why are you cancelling? (optional)").fill("I start a new job that week.")
    card.get_by_role("button", name="Cancel this appointment").click()
    page.wait_for_url("**/scheduling/appointments?done=cancelled")
    assert page.get_by_text("Done: your appointment was cancelled.").is_visible()
    assert page.locator(f'section[aria-labelledby="appt-{appointment_id}"]').count() == 0
    _axe(page)

    with _committed(live_server) as session:
        appointment = session.get(Appointment, appointment_id)
        assert appointment is not None
        assert appointment.status is AppointmentStatus.CANCELLED
        assert appointment.reason == "I start a new job that week."
    _only_our_origin(live_server, requests)
