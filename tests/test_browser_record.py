"""Real Chromium: a clinician reads a client's record as a story (timeline, care team,
consents), corrects a detail, and downloads the timeline as a PDF."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from alongside.db import build_engine, key_provider_for, make_sessionmaker, session_scope
from alongside.models import CareTeam, Client, CrisisAlert, User

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser


def _sign_in(page: Any, live: LiveServer, email: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("alongside-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/home")


def _crisis_client(live: LiveServer) -> tuple[str, str, str, str]:
    """(client id, "Given Family", a care-team clinician's email, who acknowledged the alert)."""
    engine = build_engine(live.settings.database_url)
    try:
        factory = make_sessionmaker(engine, key_provider_for(live.settings))
        with session_scope(factory) as session:
            alert = session.scalars(
                select(CrisisAlert).where(CrisisAlert.acknowledged_at.is_not(None))
            ).first()
            assert alert is not None, "the demo acknowledges one crisis alert"
            client = session.get(Client, alert.client_id)
            assert client is not None
            email = session.scalar(
                select(User.email)
                .join(CareTeam, CareTeam.clinician_id == User.id)
                .where(CareTeam.client_id == client.id)
            )
            assert email is not None
            acknowledger = session.get(User, alert.acknowledged_by_id)
            assert acknowledger is not None
            return (
                str(client.id),
                f"{client.given_name} {client.family_name}",
                email,
                acknowledger.display_name,
            )
    finally:
        engine.dispose()


def test_clinician_reads_the_crisis_story_newest_first_and_downloads_it(
    live_server: LiveServer,
) -> None:
    client_id, name, clinician, acknowledger = _crisis_client(live_server)
    page = live_server.new_page()
    _sign_in(page, live_server, clinician)
    page.goto(live_server.url + f"/clients/{client_id}")
    assert page.get_by_role("heading", name="Consents").is_visible()
    assert page.get_by_text("Storing their answers to arrange their care").is_visible()
    page.get_by_role("link", name="Timeline: everything that happened").click()
    assert page.get_by_role("heading", level=1).inner_text() == f"{name}: timeline"
    main = page.locator("main")
    assert main.get_by_text(f"Crisis alert acknowledged by {acknowledger}").is_visible()
    assert main.get_by_text("They called the client.").is_visible()
    assert main.get_by_text("Intake submitted").first.is_visible()
    assert main.get_by_text("Proposed: Crisis").first.is_visible()
    assert main.get_by_text("The client wrote:").first.is_visible()
    # Who opened the record is part of the story.
    assert main.get_by_text("(clinician) viewed").first.is_visible()
    # Times carry the clinic's zone (the demo clinic is in New York).
    times = main.locator(".entry-time").all_inner_texts()
    assert times
    assert all(t.endswith(("EST", "EDT")) for t in times)
    # Newest first: the acknowledgement comes before the intake it followed.
    text = main.inner_text()
    assert text.index("Crisis alert acknowledged") < text.index("Intake submitted")
    # Only the alerts, then the PDF of what is shown.
    for box in page.get_by_role("checkbox").all():
        box.uncheck()
    page.get_by_role("checkbox", name="Crisis alerts").check()
    page.get_by_role("button", name="Show these").click()
    main.get_by_text("Crisis alert acknowledged").wait_for()
    assert main.get_by_text("Crisis alert acknowledged").is_visible()
    assert main.get_by_text("Intake submitted").count() == 0
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as PDF").click()
    download = download_info.value
    path = download.path()
    with open(path, "rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_coordinator_corrects_a_detail_and_sees_no_timeline(live_server: LiveServer) -> None:
    client_id, _name, _clinician, _ack = _crisis_client(live_server)
    page = live_server.new_page()
    _sign_in(page, live_server, "coordinator@demo.test")
    page.goto(live_server.url + f"/clients/{client_id}")
    assert page.get_by_role("link", name="Timeline: everything that happened").count() == 0
    response = page.goto(live_server.url + f"/clients/{client_id}/timeline")
    assert response is not None
    assert response.status == 404
    page.goto(live_server.url + f"/clients/{client_id}")
    page.get_by_text("Correct these details").click()
    page.get_by_label("Phone number").fill("+1-555-0100-0000")
    page.get_by_label("Preferred language").select_option(label="Spanish")
    page.get_by_role("button", name="Save the details").click()
    page.get_by_text("The details were saved.").wait_for()
    assert page.get_by_text("The details were saved.").is_visible()
    assert page.locator("dd", has_text="+1-555-0100-0000").is_visible()
    assert page.locator("dd", has_text="Spanish").is_visible()
    page.get_by_text("Correct these details").click()
    page.get_by_label("Email address").fill("not an address")
    page.get_by_label("Email address").evaluate("e => e.type = 'text'")
    page.get_by_role("button", name="Save the details").click()
    assert page.get_by_role("alert").inner_text().startswith("Email address: write an address")


def _alert_reader(live: LiveServer) -> tuple[str, str]:
    """(the acknowledged alert's id, the email of the person it alerted first)."""
    engine = build_engine(live.settings.database_url)
    try:
        factory = make_sessionmaker(engine, key_provider_for(live.settings))
        with session_scope(factory) as session:
            alert = session.scalars(
                select(CrisisAlert).where(CrisisAlert.acknowledged_at.is_not(None))
            ).first()
            assert alert is not None
            reader = session.get(User, uuid.UUID(alert.chain[0]))
            assert reader is not None
            return str(alert.id), reader.email
    finally:
        engine.dispose()


def test_the_alert_page_says_when_the_reader_was_alerted_in_the_clinics_zone(
    live_server: LiveServer,
) -> None:
    alert_id, email = _alert_reader(live_server)
    page = live_server.new_page()
    _sign_in(page, live_server, email)
    page.goto(live_server.url + f"/review/alerts/{alert_id}")
    said = page.get_by_text("You were alerted at").inner_text()
    assert said.rstrip(".").endswith(("EST", "EDT")), said
    assert "UTC" not in page.locator("main").inner_text()


def test_the_waitlist_counts_one_day_as_a_day_and_names_the_zone(live_server: LiveServer) -> None:
    page = live_server.new_page()
    _sign_in(page, live_server, "coordinator@demo.test")
    page.goto(live_server.url + "/scheduling/waitlist")
    table = page.get_by_role("table", name="Clients waiting for a first appointment")
    text = table.inner_text()
    assert "(1 day)" in text
    assert "(1 days)" not in text
    assert re.search(r"\d\d:\d\d E[SD]T", text)
    # The zone is named in words, as on the week ("America/New York", not the identifier).
    intro = page.locator("main").inner_text()
    assert "Times are shown in America/New York." in intro
    assert "New_York" not in intro
    # Each wait is marked against the default targets (crisis 1 hour, urgent 24 hours, soon
    # 7 days, routine 28 days). Other tests may book people from the list meanwhile.
    rows = table.locator("tbody tr").all_inner_texts()
    assert rows
    targets = {"Crisis": 0, "Urgent": 1, "Soon": 7, "Routine": 28}
    for row in rows:
        days = int(re.search(r"\((\d+) days?\)", row).group(1))  # type: ignore[union-attr]
        urgency = next(u for u in targets if u in row)
        if days > targets[urgency]:
            assert "over target" in row, row
        elif days < targets[urgency]:
            assert "over target" not in row, row


def test_the_timeline_names_the_client_once_when_they_opened_their_record(
    live_server: LiveServer,
) -> None:
    """The demo client reads their own record; the timeline says "The client viewed", not
    "The client (the client) viewed"."""
    from alongside.accounts.service import find_user_by_email

    engine = build_engine(live_server.settings.database_url)
    try:
        factory = make_sessionmaker(engine, key_provider_for(live_server.settings))
        with session_scope(factory) as session:
            user = find_user_by_email(session, "client@demo.test")
            assert user is not None
            assert user.client_id is not None
            client_id = str(user.client_id)
            clinician = session.scalar(
                select(User.email)
                .join(CareTeam, CareTeam.clinician_id == User.id)
                .where(CareTeam.client_id == user.client_id)
            )
            assert clinician is not None
    finally:
        engine.dispose()
    # The client opens their own record first, so the timeline has something to say.
    page = live_server.new_page()
    _sign_in(page, live_server, "client@demo.test")
    for path in ("/me/progress", "/me/consents", "/me/access-log"):
        page.goto(live_server.url + path)
    page = live_server.new_page()
    _sign_in(page, live_server, clinician)
    page.goto(live_server.url + f"/clients/{client_id}/timeline")
    main = page.locator("main")
    assert main.get_by_text(re.compile(r"^The client viewed")).first.is_visible()
    assert "(the client)" not in main.inner_text()
