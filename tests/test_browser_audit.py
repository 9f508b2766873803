"""Real Chromium: the clinical lead filters the audit log by client, person and action, and
checks that it has not been altered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from alongside.db import build_engine, key_provider_for, make_sessionmaker, session_scope
from alongside.models import Client

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser


def _sign_in(page: Any, live: LiveServer, email: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("alongside-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/home")


def _a_client(live: LiveServer) -> tuple[str, str]:
    engine = build_engine(live.settings.database_url)
    try:
        factory = make_sessionmaker(engine, key_provider_for(live.settings))
        with session_scope(factory) as session:
            client = session.scalars(select(Client).order_by(Client.created_at)).first()
            assert client is not None
            return client.email or "", f"{client.family_name}, {client.given_name}"
    finally:
        engine.dispose()


def test_lead_filters_the_audit_log_and_verifies_it(live_server: LiveServer) -> None:
    email, name = _a_client(live_server)
    # A coordinator opens the client's record, so the log has something to find.
    coordinator = live_server.new_page()
    _sign_in(coordinator, live_server, "coordinator@demo.test")
    coordinator.goto(live_server.url + "/clients?q=" + email)
    coordinator.get_by_role("link", name=name).click()
    coordinator.wait_for_load_state()

    page = live_server.new_page()
    _sign_in(page, live_server, "lead@demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    page.get_by_role("heading", name="Audit log", level=1).wait_for()
    assert page.get_by_role("heading", name="Audit log", level=1).is_visible()
    page.get_by_label("Client (name, date of birth or email)").fill(email)
    page.get_by_label("Person").select_option(label="Casey Coordinator (intake coordinator)")
    page.get_by_label("Action").select_option(label="Viewed")
    page.get_by_role("button", name="Show", exact=True).click()
    table = page.get_by_role("table", name="Audit events matching the filters")
    rows = table.locator("tbody tr")
    assert rows.count() >= 1
    for text in rows.all_inner_texts():
        assert "Casey Coordinator" in text
        assert "Viewed" in text
        assert name in text
    assert "E" in rows.first.locator("td").first.inner_text()  # EST or EDT, the clinic's zone

    bad = page.goto(live_server.url + "/audit?from=2030-02-31")
    assert bad is not None
    assert bad.status == 422
    assert page.get_by_role("alert").inner_text().startswith("From: choose a date")

    page.goto(live_server.url + "/audit")
    page.get_by_role("button", name="Check the log has not been altered").click()
    # The answer is a new page: wait for it (a loaded machine may take seconds), then say
    # what it says if it is not the intact one.
    page.get_by_role("heading", name="Audit log check", level=1).wait_for()
    assert page.get_by_text("The audit log is intact.").is_visible(), page.inner_text("main")


def test_others_find_no_audit_log(live_server: LiveServer) -> None:
    for email in ("clinician1@demo.test", "coordinator@demo.test", "admin@demo.test"):
        page = live_server.new_page()
        _sign_in(page, live_server, email)
        response = page.goto(live_server.url + "/audit")
        assert response is not None
        assert response.status == 404, email
