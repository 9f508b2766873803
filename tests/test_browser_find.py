"""Real Chromium: staff find a client from the header of any page; a clinician opens a client
outside their care team only through emergency access with a reason, which the lead then sees
by the client's name."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from alongside.crypto.blind_index import search_words
from alongside.db import build_engine, key_provider_for, make_sessionmaker, session_scope
from alongside.models import CareTeam, Client, Intake, User

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser


def _sign_in(page: Any, live: LiveServer, email: str, start: str = "/login") -> None:
    page.goto(live.url + start)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("alongside-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _demo_clients(live: LiveServer, clinician_email: str) -> tuple[list[Client], list[Client]]:
    """(on this clinician's care team, outside it), read straight from the demo database."""
    engine = build_engine(live.settings.database_url)
    try:
        factory = make_sessionmaker(engine, key_provider_for(live.settings))
        with session_scope(factory) as session:
            clinician = session.scalar(select(User).where(User.email == clinician_email))
            assert clinician is not None
            team = set(
                session.scalars(
                    select(CareTeam.client_id).where(CareTeam.clinician_id == clinician.id)
                )
            )
            clients = list(session.scalars(select(Client).where(Client.status != "erased")))
            for client in clients:  # decrypt while the session is open
                _ = (client.given_name, client.family_name, client.date_of_birth)
            mine = [c for c in clients if c.id in team]
            others = [c for c in clients if c.id not in team]
            return mine, others
    finally:
        engine.dispose()


def _unique_family_name(chosen: Client, everyone: list[Client]) -> str:
    same = [c for c in everyone if c.family_name.lower() == chosen.family_name.lower()]
    assert len(same) == 1, "pick a client whose family name is unique in the demo"
    return chosen.family_name


def test_clinician_finds_a_client_on_their_team_from_the_review_queue_header(
    live_server: LiveServer,
) -> None:
    mine, others = _demo_clients(live_server, "clinician2@demo.test")
    everyone = mine + others
    chosen = next(c for c in mine if sum(o.family_name == c.family_name for o in everyone) == 1)
    page = live_server.new_page()
    _sign_in(page, live_server, "clinician2@demo.test", "/review")
    page.get_by_role("search", name="Find a client").get_by_role("searchbox").fill(
        _unique_family_name(chosen, everyone)
    )
    page.get_by_role("button", name="Find", exact=True).click()
    page.wait_for_url(lambda url: "/clients?q=" in url)
    page.get_by_role("link", name=f"{chosen.family_name}, {chosen.given_name}").click()
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == f"{chosen.given_name} {chosen.family_name}"


def test_clinician_opens_a_client_outside_the_team_with_a_reason_and_the_lead_sees_who(
    live_server: LiveServer,
) -> None:
    mine, others = _demo_clients(live_server, "clinician3@demo.test")
    everyone = mine + others
    chosen = next(
        c
        for c in others
        if c.date_of_birth and sum(o.date_of_birth == c.date_of_birth for o in everyone) == 1
    )
    page = live_server.new_page()
    _sign_in(page, live_server, "clinician3@demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Emergency access").click()
    page.get_by_label("Find the client by name, date of birth or email").fill(chosen.date_of_birth)
    page.get_by_role("button", name="Find the client").click()
    outside = page.get_by_role("region", name="Outside your care team")
    assert outside.get_by_text(f"{chosen.family_name}, {chosen.given_name}").is_visible()
    # Outside the care team there is no link to the record, only the request for access.
    assert outside.get_by_role("link").count() == 0
    outside.get_by_text(f"Ask for emergency access to {chosen.given_name}").click()
    outside.get_by_label("Why you need access now").fill(
        "On call: their partner rang, a plan tonight"
    )
    outside.get_by_role("button", name="Open the record").click()
    page.wait_for_url(live_server.url + f"/clients/{chosen.id}")
    assert page.get_by_text("Emergency access.").is_visible()

    lead = live_server.new_page()
    _sign_in(lead, live_server, "lead@demo.test")
    lead.goto(live_server.url + "/access/review")
    row = lead.get_by_role("row", name="On call: their partner rang")
    assert row.get_by_role("link", name=f"{chosen.family_name}, {chosen.given_name}").is_visible()
    assert row.get_by_role("cell", name="María Fernández").is_visible()


def test_a_search_too_short_is_explained_in_words(live_server: LiveServer) -> None:
    page = live_server.new_page()
    _sign_in(page, live_server, "coordinator@demo.test")
    page.goto(live_server.url + "/clients?q=a")
    alert = page.get_by_role("alert")
    assert alert.inner_text().startswith("Type at least 2 letters of a name")


def test_staff_find_the_demo_client_by_the_email_they_sign_in_with(
    live_server: LiveServer,
) -> None:
    page = live_server.new_page()
    _sign_in(page, live_server, "coordinator@demo.test")
    page.get_by_role("search", name="Find a client").get_by_role("searchbox").fill(
        "client@demo.test"
    )
    page.get_by_role("button", name="Find", exact=True).click()
    page.wait_for_url(lambda url: "/clients?q=" in url)
    found = page.get_by_role("region", name=re.compile("Clients you can open"))
    assert found.get_by_role("link").count() == 1
    found.get_by_role("link").click()
    # The record of the client who signs in as client@demo.test (their record's address is
    # another one).
    assert page.get_by_role("heading", level=1).is_visible()
    assert "client@demo.test" not in page.get_by_role("main").inner_text()


def test_coordinator_chooses_the_client_of_a_new_intake_by_searching_without_javascript(
    live_server: LiveServer,
) -> None:
    mine, others = _demo_clients(live_server, "clinician1@demo.test")
    everyone = [c for c in mine + others if c.status == "active"]
    chosen = next(
        c
        for c in mine
        if c.status == "active"
        and len(search_words(c.family_name)) == 1
        and sum(o.family_name == c.family_name for o in everyone) == 1
    )
    context = live_server.browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    live_server.contexts.append(context)
    page = context.new_page()
    _sign_in(page, live_server, "coordinator@demo.test")
    page.get_by_role("navigation").get_by_role("link", name="New intake").click()
    page.wait_for_url("**/intakes/new")
    # Hundreds of clients in the demo, and none listed before a search.
    assert page.locator("select#client_id").count() == 0
    client_choice = page.get_by_role("group", name="Client")
    assert client_choice.get_by_role("radio").count() == 1  # a new client
    page.get_by_label("Find an existing client").fill(chosen.family_name)
    page.get_by_role("button", name="Find the client").click()
    page.wait_for_url(lambda url: "client_q=" in url)
    label = f"{chosen.family_name}, {chosen.given_name}"
    client_choice.get_by_role("radio", name=re.compile("^" + re.escape(label))).check()
    page.get_by_label("Reviewing clinician").select_option(label="Dr Amara Okafor")
    page.get_by_role("button", name="Create the link").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Intake link")
    with session_scope(
        make_sessionmaker(
            engine := build_engine(live_server.settings.database_url),
            key_provider_for(live_server.settings),
        )
    ) as session:
        newest = session.scalars(select(Intake).order_by(Intake.created_at.desc())).first()
        assert newest is not None
        assert newest.client_id == chosen.id
    engine.dispose()
