"""Real Chromium: sign-in returns to the page asked for; the administrator runs the clinic."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser


def _sign_in(page: object, email: str) -> None:
    page.get_by_label("Email").fill(email)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill("alongside-demo")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]


def test_a_link_to_the_queue_returns_there_after_sign_in(live_server: LiveServer) -> None:
    page = live_server.new_page()
    page.goto(live_server.url + "/review")
    assert page.url.startswith(live_server.url + "/login?next=")
    _sign_in(page, "clinician1@demo.test")
    page.wait_for_url(live_server.url + "/review")
    assert page.get_by_role("heading", level=1).first.is_visible()


def test_a_foreign_return_address_lands_at_home(live_server: LiveServer) -> None:
    page = live_server.new_page()
    page.goto(live_server.url + "/login?next=//example.org/review")
    _sign_in(page, "clinician1@demo.test")
    page.wait_for_url(live_server.url + "/home")


def test_admin_sees_staff_rota_and_sites(live_server: LiveServer) -> None:
    page = live_server.new_page()
    page.goto(live_server.url + "/login")
    _sign_in(page, "admin@demo.test")
    page.wait_for_url(live_server.url + "/home")
    assert page.get_by_role("heading", name="What administrators do here").is_visible()
    assert page.get_by_text("Clients (0)").count() == 0
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    page.get_by_role("heading", name="Staff accounts").wait_for()
    assert page.get_by_role("heading", name="Staff accounts").is_visible()
    assert page.get_by_role("cell", name="lead@demo.test").is_visible()
    page.get_by_label("Name, as colleagues will see it").fill("Robin Reception")
    page.get_by_label("Email they sign in with").fill("robin@demo.test")
    page.get_by_label("Role", exact=True).select_option(label="Intake coordinator")
    page.get_by_role("button", name="Send the invitation").click()
    page.get_by_text("The invitation was sent").wait_for()
    assert page.get_by_text("The invitation was sent").is_visible()
    assert page.get_by_role("cell", name="robin@demo.test").is_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="On-call rota").click()
    page.get_by_role("heading", name="On call now").wait_for()
    assert page.get_by_role("heading", name="On call now").is_visible()
    page.get_by_label("Minutes before an unacknowledged crisis alert").fill("9")
    page.get_by_role("button", name="Save the rota").click()
    page.get_by_text("The rota and escalation time were saved.").wait_for()
    assert page.get_by_text("The rota and escalation time were saved.").is_visible()
    assert page.get_by_text("after 9 minutes").is_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sites").click()
    assert page.get_by_label("Name").first.input_value() == "Riverside Main Street"


def test_lead_adds_a_clinician_to_a_care_team_with_a_reason(live_server: LiveServer) -> None:
    page = live_server.new_page()
    page.goto(live_server.url + "/care-teams")
    assert "/login?next=" in page.url
    _sign_in(page, "lead@demo.test")
    page.wait_for_url(live_server.url + "/care-teams")
    assert page.get_by_role("heading", name="Clients and their care teams").is_visible()
    page.locator("main table a").first.click()
    page.get_by_role("heading", name="On the care team").wait_for()
    assert page.get_by_role("heading", name="On the care team").is_visible()
    chosen = page.get_by_label("Clinician", exact=True)
    name = chosen.locator("option").first.inner_text()
    page.get_by_label("Why they join this care team").fill("Covering while on leave")
    page.get_by_role("button", name="Add to care team").click()
    page.get_by_text("The clinician was added to the care team.").wait_for()
    assert page.get_by_text("The clinician was added to the care team.").is_visible()
    assert page.locator("main ul li", has_text=name).is_visible()
    assert page.get_by_role("cell", name="Covering while on leave").is_visible()
