"""The client's own space in real Chromium at phone width (390 x 844), JavaScript off: their
progress in plain words with charts, consents withdrawn and given again with a plain form, a
PDF of their record; nothing wider than the screen, every request to the live server only, and
the clinical lead sees the erasure request waiting."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _phone_page(live: LiveServer, *, javascript: bool = False) -> Any:
    context = live.browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    live.contexts.append(context)
    page = context.new_page()
    origins: list[str] = []
    page.on("request", lambda request: origins.append(request.url))
    page.origins = origins
    return page


def _sign_in(page: Any, live: LiveServer, email: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("alongside-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/home")


def _fits_the_screen(page: Any) -> bool:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width <= PHONE["width"]


def test_the_client_sees_progress_consents_and_data_at_phone_width(
    live_server: LiveServer,
) -> None:
    page = _phone_page(live_server)
    _sign_in(page, live_server, "client@demo.test")

    page.goto(live_server.url + "/me/progress")
    assert page.get_by_role("heading", name="Your progress").is_visible()
    phq9 = page.get_by_role("region", name="PHQ-9")
    assert phq9.locator("svg").count() == 1
    text = phq9.inner_text()
    assert "Your latest PHQ-9 score is 6" in text
    assert "Reliable change" in text
    assert _fits_the_screen(page)

    page.goto(live_server.url + "/me/consents")
    research = page.get_by_role("region", name="Your answers in service evaluation")
    assert "Not agreed" in research.inner_text()
    research.get_by_role("button", name="Give this consent").click()
    page.wait_for_url(live_server.url + "/me/consents")
    research = page.get_by_role("region", name="Your answers in service evaluation")
    assert "You agreed" in research.inner_text()
    research.get_by_role("button", name="Withdraw this consent").click()
    page.wait_for_url(live_server.url + "/me/consents")
    assert (
        "Not agreed"
        in page.get_by_role("region", name="Your answers in service evaluation").inner_text()
    )
    assert _fits_the_screen(page)

    page.goto(live_server.url + "/me/data")
    assert page.get_by_role("button", name="Ask for my record to be erased").is_visible()
    pdf = page.request.get(live_server.url + "/api/me/export.pdf")
    assert pdf.status == 200
    assert pdf.body().startswith(b"%PDF-")
    bundle = page.request.get(live_server.url + "/api/me/export").json()
    assert bundle["type"] == "collection"
    assert _fits_the_screen(page)
    assert all(url.startswith(live_server.url) for url in page.origins)


def test_the_lead_sees_the_erasure_request_waiting(live_server: LiveServer) -> None:
    page = _phone_page(live_server)
    _sign_in(page, live_server, "lead@demo.test")
    page.goto(live_server.url + "/privacy")
    section = page.get_by_role("region", name="Erasure requests (1)")
    assert "by staff on the client's behalf" in section.inner_text()
    assert "retention rules" in section.inner_text()
    assert _fits_the_screen(page)


def test_appointments_page_passes_axe_at_phone_width(live_server: LiveServer) -> None:
    from tests.test_accessibility import _page, _violations

    page = _page(live_server, PHONE["width"], PHONE["height"])
    _sign_in(page, live_server, "client@demo.test")
    response = page.goto(live_server.url + "/me/appointments")
    assert response is not None
    assert response.status == 200
    assert page.get_by_role("heading", name="Coming up").is_visible()
    assert _violations(page) == []
    assert _fits_the_screen(page)


def test_the_client_asks_for_a_correction_of_a_note_at_phone_width(
    live_server: LiveServer,
) -> None:
    from tests.test_accessibility import _page, _violations

    page = _phone_page(live_server)  # JavaScript off: the plain form and <details> still work
    _sign_in(page, live_server, "client@demo.test")
    page.goto(live_server.url + "/me/notes")
    note = page.get_by_role("region", name="DAP progress note")
    assert "starting the new job in March" in note.inner_text()
    assert "Signed by María Fernández" in note.inner_text()
    # The demo's own request is already there, waiting.
    assert "waiting for your clinician" in note.inner_text()
    note.get_by_text("Ask for a correction of this note").click()
    note.get_by_label("What is wrong, and what should it say?").fill(
        "Browsercanary: I walked three times, not twice."
    )
    note.get_by_role("button", name="Ask for this correction").click()
    page.wait_for_url(live_server.url + "/me/notes")
    assert "Browsercanary" in page.get_by_role("region", name="DAP progress note").inner_text()
    assert _fits_the_screen(page)
    assert all(url.startswith(live_server.url) for url in page.origins)
    checked = _page(live_server, PHONE["width"], PHONE["height"])  # axe needs JavaScript
    _sign_in(checked, live_server, "client@demo.test")
    checked.goto(live_server.url + "/me/notes")
    assert _violations(checked) == []
    # The clinician on the client's care team finds it among the clients' requests.
    staff = _phone_page(live_server)
    _sign_in(staff, live_server, "clinician3@demo.test")
    staff.goto(live_server.url + "/privacy")
    assert "Browsercanary" in staff.content()
