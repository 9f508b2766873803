"""A clinician writes a session note in real Chromium, checks each sentence's source and signs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser

CLINICIAN = "clinician1@demo.test"
PASSWORD = "alongside-demo"


def test_write_check_sources_and_sign_a_note(live_server: LiveServer) -> None:
    page = live_server.new_page()
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(CLINICIAN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    # A client of clinician1's with notes in the demo; the note is written from their page.
    notes = page.request.get(live_server.url + "/api/notes").json()["items"]
    page.goto(f"{live_server.url}/clients/{notes[0]['client_id']}")
    assert page.get_by_role("heading", name="Notes").is_visible()
    page.get_by_role("link", name="Write a note").click()
    page.get_by_label("SOAP progress note").check()
    page.get_by_label("Your jottings from the session").fill(
        "Slept better this week.\nP: continue the sleep diary."
    )
    page.get_by_role("button", name="Draft the note").click()
    page.wait_for_url("**/notes/*")
    assert page.get_by_role("heading", name="Plan", exact=True).is_visible()
    # Each sentence has its source beside it, opened from the keyboard.
    summary = page.locator("section:has(h2#section-plan) details summary").last
    summary.focus()
    page.keyboard.press("Enter")
    quote = page.locator("section:has(h2#section-plan) details blockquote").last
    assert quote.is_visible()
    assert quote.inner_text() == "continue the sleep diary."
    assert "Your jottings" in summary.inner_text()
    # Edit one sentence: its source becomes the clinician's.
    page.get_by_role("textbox", name="Subjective").fill("Slept better this week, about 7 hours.")
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_url("**saved=1")
    sub = page.locator("section:has(h2#section-subjective) details summary").first
    assert "Written by the clinician" in sub.inner_text()
    page.get_by_role("button", name="Sign the note").click()
    page.wait_for_url("**signed=1")
    assert page.get_by_text("Signed by").is_visible()
    assert page.get_by_role("button", name="Save the draft").count() == 0
    page.get_by_label("Correction or addition (signed and dated when you add it)").fill(
        "Correction: 6 hours, not 7."
    )
    page.get_by_role("button", name="Sign and add").click()
    page.wait_for_url("**added=1")
    assert page.get_by_text("Correction: 6 hours, not 7.").is_visible()


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_the_notes_pages_pass_axe(live_server: LiveServer, width: int, height: int) -> None:
    from tests.test_accessibility import _page, _violations

    page = _page(live_server, width, height)
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(CLINICIAN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/home")
    notes = page.request.get(live_server.url + "/api/notes?limit=100").json()["items"]
    draft = next(n for n in notes if n["status"] == "draft")
    signed = next(n for n in notes if n["status"] == "signed" and n["addenda"])
    client_id = signed["client_id"]
    pages = [
        f"/clients/{client_id}",
        f"/clients/{client_id}/notes/new",
        f"/notes/{draft['id']}",
        f"/notes/{signed['id']}",
        f"/clients/{client_id}/safety-plan",
        f"/clients/{client_id}/process-notes",
    ]
    failures = {}
    for href in pages:
        response = page.goto(live_server.url + href)
        assert response is not None
        assert response.status == 200, href
        found = _violations(page)
        if found:
            failures[href] = found
    assert failures == {}
