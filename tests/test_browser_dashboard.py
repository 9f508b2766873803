"""Real Chromium: the clinical lead's dashboard shows the queue and waitlist against their
targets and the crisis alerts acknowledged in time; other roles find no dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser


def _sign_in(page: Any, live: LiveServer, email: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("alongside-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/home")


def test_lead_sees_the_service_against_its_targets(live_server: LiveServer) -> None:
    page = live_server.new_page()
    _sign_in(page, live_server, "lead@demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.get_by_role("heading", name="The service today").wait_for()
    assert page.get_by_role("heading", name="The service today").is_visible()
    waitlist = page.get_by_role("table", name="People waiting for a first appointment")
    cells = [row.locator("td").all_inner_texts() for row in waitlist.locator("tbody tr").all()]
    over = sum(int(c[2].split()[0]) for c in cells if c[2] != "none")
    waiting = sum(int(c[1]) for c in cells)
    # The same people, and the same marks, as the waitlist itself (whatever other tests
    # booked from it meanwhile).
    page.goto(live_server.url + "/scheduling/waitlist")
    listed = page.get_by_role("table", name="Clients waiting for a first appointment")
    assert listed.locator("tbody tr").count() == waiting
    assert listed.locator(".badge", has_text="over target").count() == over
    assert over >= 1  # the demo's urgent and soon waits are days old (a crisis is not)
    page.goto(live_server.url + "/dashboard")
    queue = page.get_by_role("table", name="Proposals waiting for a first review")
    assert queue.get_by_role("row").count() == 5  # a header and the four urgencies
    assert page.get_by_text("crisis alerts acknowledged within").is_visible()
    tiles = page.locator(".summary-tiles").inner_text()
    assert "people on the waitlist" in tiles


def test_the_dashboard_is_the_leads_alone(live_server: LiveServer) -> None:
    for email in ("clinician1@demo.test", "coordinator@demo.test", "admin@demo.test"):
        page = live_server.new_page()
        _sign_in(page, live_server, email)
        response = page.goto(live_server.url + "/dashboard")
        assert response is not None
        assert response.status == 404, email


def test_on_a_phone_each_stacked_figure_keeps_its_column_name(live_server: LiveServer) -> None:
    # At phone width the tables stack their cells and hide the header row; each figure then
    # says what it is ("Over target: none", "Target: 1 hour"), not a bare "none" or "1 hour".
    page = live_server.new_page(width=390, height=800)
    _sign_in(page, live_server, "lead@demo.test")
    page.goto(live_server.url + "/dashboard")
    queue = page.get_by_role("table", name="Proposals waiting for a first review")
    first_row = queue.locator("tbody tr").first
    names = first_row.locator("td").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert names == [
        '"Urgency: "',
        '"Waiting: "',
        '"Over target: "',
        '"Target: "',
        '"Longest wait: "',
    ]
    # Positive control: at desktop width the header row names the columns and the cells
    # carry no name of their own.
    wide = live_server.new_page()
    _sign_in(wide, live_server, "lead@demo.test")
    wide.goto(live_server.url + "/dashboard")
    table = wide.get_by_role("table", name="Proposals waiting for a first review")
    assert table.locator("thead").is_visible()
    before = table.locator("tbody tr td").first.evaluate(
        "c => getComputedStyle(c, '::before').content"
    )
    assert before in ("none", "normal")
