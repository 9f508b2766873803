"""In Chromium: a client of an organisation in England sees UK crisis numbers only.

An organisation in England (GB-ENG) with its own local duty line; a client answers the C-SSRS
with intent to act. Every page of the intake carries the help box, and the page that stores
the crisis answers shows 999, NHS 111's mental health option, Samaritans, Shout and the local
line, and never the North American 911, 988 or 741741.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from alongside.db import build_engine, key_provider_for, make_sessionmaker, session_scope
from alongside.intake import service as intake_service
from alongside.kit.time import utcnow
from alongside.models import Role
from alongside.triage.crisis_admin import create_organization
from tests.fixtures.factories import create_client, create_staff
from tests.intake.conftest import CRISIS

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser

UK = ("999", "111", "116 123", "85258", "0161 496 0000")
NORTH_AMERICA = re.compile(r"\b(911|988|741741)\b")


def _english_intake(live: LiveServer) -> str:
    engine = build_engine(live.settings.effective_database_url)
    try:
        factory = make_sessionmaker(engine, key_provider_for(live.settings))
        with session_scope(factory) as session:
            org = create_organization(
                session,
                name="Thameside Talking Therapies",
                slug=f"thameside-{utcnow().timestamp():.0f}",
                country="GB-ENG",
            )
            org.local_crisis_resources = [
                {
                    "id": "duty-line",
                    "name": "Thameside duty clinician",
                    "contact": "0161 496 0000",
                    "how": "Call the duty clinician, 9am to 5pm on weekdays.",
                    "source": "Thameside duty rota",
                }
            ]
            clinician = create_staff(session, org, Role.CLINICIAN)
            client = create_client(session, org, clinicians=(clinician,))
            created = intake_service.create_intake(
                session, actor=clinician, client_id=client.id, now=utcnow()
            )
            return live.url + created.path
    finally:
        engine.dispose()


def _visible_text(page: Any) -> str:
    return str(page.inner_text("body"))


def test_an_english_clinic_shows_uk_numbers_only(live_server: LiveServer) -> None:
    page = live_server.new_page(width=390, height=844)
    page.goto(_english_intake(live_server))
    seen: list[str] = []
    consent_text = _visible_text(page)
    seen.append(consent_text)
    assert "116 123" in consent_text  # the help box is on every page
    page.get_by_label("I agree that the clinic stores my answers").check()
    page.get_by_label("No, I would rather a person").check()
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/questions/**")
    while "/questions/" in page.url:
        seen.append(_visible_text(page))
        instrument = page.url.split("/questions/")[1].split("?")[0].split("#")[0]
        names = page.evaluate(
            "[...new Set([...document.querySelectorAll('input[type=radio]')].map(e => e.name))]"
        )
        for name in names:
            page.locator(f'input[name="{name}"][value="{CRISIS[instrument][name]}"]').check()
        page.get_by_role("button", name="Save and continue").click()
        page.wait_for_load_state()
    page.get_by_label("What brings you to the clinic").fill("I cannot see a way forward.")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/review")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Please get help now").is_visible()
    crisis = page.locator("section.notice-crisis")
    crisis_text = str(crisis.inner_text())
    for number in UK:
        assert number in crisis_text, number
    assert "mental health option" in crisis_text
    assert "Text SHOUT to 85258" in crisis_text
    assert crisis.get_by_text("Emergency services (999)").is_visible()
    seen.append(_visible_text(page))
    for text in seen:
        assert NORTH_AMERICA.search(text) is None, NORTH_AMERICA.search(text)
    # Positive control: the same check finds the numbers a US clinic shows.
    assert NORTH_AMERICA.search("Call or text 988") is not None
