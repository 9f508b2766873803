"""The case page shows the risk reader's reasons in words; its figures sit under Details."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from alongside.intake import service as intake_service
from alongside.models import Role
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in
from tests.intake.conftest import CALM, NOW, complete

WORDS = "Work is fine. I wrote a suicde note last week and I keep it in my bag."


def test_case_page_shows_the_readers_reasons_in_words(
    client: TestClient, db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    created = intake_service.create_intake(
        db, actor=clinician, client_id=world.own_client.id, now=NOW
    )
    complete(db, created.intake, CALM, words=WORDS)
    outcome = intake_service.submit_intake(
        db, created.intake, now=NOW, case_url_base="http://c.test", oncall_webhook=False
    )
    sign_in(client, clinician)
    page = client.get(f"/review/{outcome.suggestion_id}")
    assert page.status_code == 200
    words = page.text.split('id="words-heading"', 1)[1].split("</section>", 1)[0]
    shown, _, details = words.partition("Details: the reader")
    # What the reader found, in words: the misspelt word as the client wrote it, and what it
    # was read as (the real reader reads the text; no stub).
    assert "suicde" in shown
    assert "suicide" in shown
    assert not re.search(r"Classifier|probability \d|Rules: ", shown)
    # The figures are still there for the clinician who wants them.
    assert "Classifier: probability" in details
