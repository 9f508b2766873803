"""Helpers for intake tests: create a link and complete it through the service."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from alongside.instruments import get_instrument
from alongside.intake import service
from alongside.intake.questions import asked_items, parts_of
from alongside.models import Intake, Role
from tests.fixtures.factories import World

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

CALM = {
    "phq9": {f"q{i}": 1 for i in range(1, 10)} | {"q9": 0},
    "gad7": {f"q{i}": 1 for i in range(1, 8)},
    "cssrs-screen": {"q1": 0, "q2": 0, "q6": 0},
}
CRISIS = {
    "phq9": {f"q{i}": 2 for i in range(1, 10)},
    "gad7": {f"q{i}": 2 for i in range(1, 8)},
    "cssrs-screen": {"q1": 1, "q2": 1, "q3": 1, "q4": 1, "q5": 0, "q6": 0},
}


def answer_instrument(
    db: Session, intake: Intake, instrument_id: str, answers: Mapping[str, int]
) -> None:
    """Post each page of one instrument as the client would, in order."""
    definition = get_instrument(instrument_id)
    for index, part in enumerate(parts_of(definition)):
        asked = asked_items(definition, part, answers)
        if not asked:
            continue
        form = {item.id: str(answers[item.id]) for item in asked}
        service.save_instrument_part(db, intake, instrument_id, index, form, NOW)


def complete(
    db: Session,
    intake: Intake,
    answers: Mapping[str, Mapping[str, int]],
    *,
    words: str = "I have been low for months.",
    reading: bool = True,
) -> None:
    """Consent, answer every instrument and write the own words, without submitting."""
    service.record_consent(
        db, intake, processing=True, software_reading="yes" if reading else "no", now=NOW
    )
    for instrument_id in intake.instruments:
        answer_instrument(db, intake, instrument_id, answers[instrument_id])
    service.save_own_words(db, intake, words, NOW)


@pytest.fixture
def created(db: Session, world: World) -> service.CreatedIntake:
    """An intake link for the clinician's own client, with the default instruments."""
    return service.create_intake(
        db, actor=world.users[Role.CLINICIAN], client_id=world.own_client.id, now=NOW
    )
