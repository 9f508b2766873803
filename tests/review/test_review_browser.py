"""A clinician works the review queue in real Chromium: accept one, amend one, reject one."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from alongside.db import build_engine, key_provider_for, make_sessionmaker, session_scope
from alongside.intake import service as intake_service
from alongside.kit.time import utcnow
from alongside.models import Decision, Suggestion, SuggestionStatus, User
from tests.intake.conftest import complete
from tests.review.review_support import ANSWERS

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser

CLINICIAN = "clinician1@demo.test"
PASSWORD = "alongside-demo"


def _factory(live: LiveServer) -> Any:
    engine = build_engine(live.settings.effective_database_url)
    return engine, make_sessionmaker(engine, key_provider_for(live.settings))


def _three_proposals(live: LiveServer) -> list[str]:
    """Three submitted intakes for clients new to clinician1, committed."""
    engine, factory = _factory(live)
    try:
        ids = []
        with session_scope(factory) as session:
            clinician = session.scalar(select(User).where(User.email == CLINICIAN))
            assert clinician is not None
            for n in range(3):
                created = intake_service.create_intake(
                    session,
                    actor=clinician,
                    new_client=intake_service.NewClientDetails("Queue", f"Person{n}"),
                    now=utcnow(),
                )
                complete(session, created.intake, ANSWERS["calm"], reading=False)
                outcome = intake_service.submit_intake(
                    session,
                    created.intake,
                    now=utcnow(),
                    case_url_base=live.url,
                    oncall_webhook=False,
                )
                ids.append(str(outcome.suggestion_id))
        return ids
    finally:
        engine.dispose()


def _sign_in(page: Any, live: LiveServer) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Email").fill(CLINICIAN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _open(page: Any, live: LiveServer, suggestion_id: str) -> None:
    page.goto(live.url + "/review")
    page.locator(f'a[href="/review/{suggestion_id}"]').click()
    page.wait_for_url(f"**/review/{suggestion_id}")
    assert page.get_by_role("heading", name="What the rules propose").is_visible()


def test_clinician_accepts_amends_and_rejects(live_server: LiveServer) -> None:
    accept, amend, reject = _three_proposals(live_server)
    page = live_server.new_page()
    _sign_in(page, live_server)
    page.goto(live_server.url + "/review")
    assert page.get_by_role("heading", name="Review queue").is_visible()

    _open(page, live_server, accept)
    page.get_by_label("Accept the proposal").check()
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_url("**/review?decided=accepted")
    assert page.get_by_text("the proposal was accepted").is_visible()

    _open(page, live_server, amend)
    page.get_by_label("Amend it").check()
    page.get_by_label("Urgency (when amending)").select_option("soon")
    page.get_by_role("button", name="Record decision").click()
    # No reason: the form comes back with the message, nothing stored.
    assert page.get_by_text("say why you amend the proposal").is_visible()
    page.get_by_label("Reason (needed to amend or reject)").fill(
        "On the phone the client was safe and had read their words to me."
    )
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_url("**/review?decided=amended")

    _open(page, live_server, reject)
    page.get_by_label("Reject it").check()
    page.get_by_label("Reason (needed to amend or reject)").fill("Referred to the wrong service.")
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_url("**/review?decided=rejected")

    for suggestion_id in (accept, amend, reject):
        assert page.locator(f'a[href="/review/{suggestion_id}"]').count() == 0
    page.goto(f"{live_server.url}/review/{amend}")
    assert page.get_by_text("The proposal was amended by").is_visible()

    engine, factory = _factory(live_server)
    try:
        with session_scope(factory) as session:
            decisions = {
                str(d.suggestion_id): d
                for d in session.scalars(
                    select(Decision).where(
                        Decision.suggestion_id.in_([uuid.UUID(i) for i in (accept, amend, reject)])
                    )
                )
            }
            assert decisions[accept].outcome.value == "accepted"
            assert decisions[amend].urgency == "soon"
            assert decisions[amend].reason is not None
            assert decisions[reject].outcome.value == "rejected"
            statuses = {
                str(s.id): s.status
                for s in session.scalars(
                    select(Suggestion).where(Suggestion.id.in_([uuid.UUID(i) for i in decisions]))
                )
            }
            assert statuses[amend] is SuggestionStatus.AMENDED
    finally:
        engine.dispose()
