"""A client completes an intake on a phone-sized Chromium, with axe-core on every page."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from alongside.db import build_engine, key_provider_for, make_sessionmaker, session_scope
from alongside.intake import service
from alongside.kit.time import utcnow
from alongside.models import User
from tests.intake.conftest import CALM, CRISIS

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser

AXE = Path(__file__).parents[1] / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}


def _new_link(live: LiveServer) -> str:
    """An intake link made through the service in a committed transaction."""
    engine = build_engine(live.settings.effective_database_url)
    try:
        factory = make_sessionmaker(engine, key_provider_for(live.settings))
        with session_scope(factory) as session:
            clinician = session.scalar(select(User).where(User.email == "clinician1@demo.test"))
            assert clinician is not None
            created = service.create_intake(
                session,
                actor=clinician,
                new_client=service.NewClientDetails("Browser", "Client"),
                now=utcnow(),
            )
            return live.url + created.path
    finally:
        engine.dispose()


def _page(live: LiveServer) -> Any:
    # axe is injected as an inline script, which the app's CSP rightly refuses; the test's
    # browser context bypasses CSP for that one purpose.
    context = live.browser.new_context(
        viewport={"width": PHONE["width"], "height": PHONE["height"]}, bypass_csp=True
    )
    live.contexts.append(context)
    return context.new_page()


def _axe(page: Any, checked: list[str]) -> None:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run()")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in bad]
    checked.append(page.url)


def _answer_pages(
    page: Any,
    answers: Mapping[str, Mapping[str, int]],
    checked: list[str],
    *,
    one_instrument: bool = False,
) -> None:
    while "/questions/" in page.url:
        _axe(page, checked)
        instrument = page.url.split("/questions/")[1].split("?")[0].split("#")[0]
        names = page.evaluate(
            "[...new Set([...document.querySelectorAll('input[type=radio]')].map(e => e.name))]"
        )
        assert names, "a question page showed no questions"
        for name in names:
            value = answers[instrument][name]
            page.locator(f'input[name="{name}"][value="{value}"]').check()
        page.get_by_role("button", name="Save and continue").click()
        page.wait_for_load_state()
        if one_instrument and instrument not in page.url:
            return


def _consent(page: Any, checked: list[str], *, reading: bool = True) -> None:
    assert page.get_by_role("heading", name="Before you start").is_visible()
    _axe(page, checked)
    # Saving without agreeing names what is missing, and the error page passes axe too.
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("link", name="Please tick the box").wait_for()
    assert page.get_by_role("link", name="Please tick the box").is_visible()
    _axe(page, checked)
    page.get_by_label("I agree that the clinic stores my answers").check()
    label = "Yes, software may read my words" if reading else "No, I would rather a person"
    page.get_by_label(label).check()
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/questions/**")


def test_client_completes_an_intake_on_a_phone_and_resumes(live_server: LiveServer) -> None:
    link = _new_link(live_server)
    checked: list[str] = []
    page = _page(live_server)
    page.goto(link)
    _consent(page, checked)

    # A missing answer names the question and links to it.
    assert "/questions/phq9" in page.url
    page.get_by_role("button", name="Save and continue").click()
    error_link = page.get_by_role("link", name="Question 1: please choose an answer")
    assert error_link.is_visible()
    _axe(page, checked)
    error_link.click()
    assert page.evaluate("location.hash") == "#phq9-q1-0"

    _answer_pages(page, {"phq9": CALM["phq9"]}, checked, one_instrument=True)
    assert "/questions/gad7" in page.url
    # Close the page, open the same link again: the intake resumes where it was left.
    page.context.close()
    page = _page(live_server)
    page.goto(link)
    assert "/questions/gad7" in page.url

    _answer_pages(page, CALM, checked)
    assert page.url.endswith("/words")
    _axe(page, checked)
    page.get_by_label("What brings you to the clinic").fill("Sleep has been poor since winter.")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/review")
    _axe(page, checked)
    assert page.get_by_text("Sleep has been poor since winter.").is_visible()
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Your answers were received").is_visible()
    assert page.get_by_role("heading", name="What happens next").is_visible()
    _axe(page, checked)

    # The link is spent.
    page.goto(link)
    assert page.get_by_role("heading", name="Your answers were received").is_visible()
    _axe(page, checked)
    assert len(checked) >= 10


def test_crisis_submission_shows_crisis_resources_in_the_response(
    live_server: LiveServer,
) -> None:
    link = _new_link(live_server)
    checked: list[str] = []
    page = _page(live_server)
    page.goto(link)
    _consent(page, checked, reading=False)
    _answer_pages(page, CRISIS, checked)
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/review")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Please get help now").is_visible()
    assert page.get_by_text(
        "If you are in immediate danger, call emergency services now."
    ).first.is_visible()
    assert page.get_by_text("988 Suicide & Crisis Lifeline (988)").first.is_visible()
    assert page.get_by_text("A clinician from the service is being contacted").is_visible()
    _axe(page, checked)
