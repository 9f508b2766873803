"""Adaptive screening: PHQ-9 item 9 answered 1 or more adds the C-SSRS before submission."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.instruments.adaptive import follow_ups
from alongside.intake import service
from alongside.kit.time import utcnow
from alongside.models import Role, Score, Suggestion
from tests.fixtures.factories import World
from tests.intake.conftest import NOW, answer_instrument

ITEM9_SEVERAL_DAYS = {f"q{i}": 0 for i in range(1, 9)} | {"q9": 1}
ITEM9_NOT_AT_ALL = {f"q{i}": 1 for i in range(1, 9)} | {"q9": 0}
WHY = "You told us that you have had thoughts that you would be better off dead"


@pytest.mark.parametrize(
    ("answers", "present", "added"),
    [
        ({"phq9": ITEM9_SEVERAL_DAYS}, ["phq9"], ["cssrs-screen"]),
        ({"phq9": ITEM9_SEVERAL_DAYS | {"q9": 3}}, ["phq9", "gad7"], ["cssrs-screen"]),
        ({"phq9": ITEM9_SEVERAL_DAYS}, ["phq9", "cssrs-screen"], []),
        ({"phq9": ITEM9_NOT_AT_ALL}, ["phq9"], []),
        ({"gad7": {"q1": 3}}, ["gad7"], []),
    ],
)
def test_the_rule(answers: dict, present: list[str], added: list[str]) -> None:  # type: ignore[type-arg]
    assert [f.instrument for f in follow_ups(answers, present)] == added


def _intake(
    db: Session, world: World, instruments: list[str], now: datetime = NOW
) -> service.CreatedIntake:
    created = service.create_intake(
        db,
        actor=world.users[Role.CLINICIAN],
        client_id=world.own_client.id,
        instruments=instruments,
        now=now,
    )
    service.record_consent(db, created.intake, processing=True, software_reading="yes", now=now)
    return created


def test_a_repeat_measure_with_item9_gets_the_screener_before_it_can_be_sent(
    db: Session, world: World
) -> None:
    created = _intake(db, world, ["phq9"])
    intake = created.intake
    answer_instrument(db, intake, "phq9", ITEM9_SEVERAL_DAYS)
    assert intake.instruments == ["phq9", "cssrs-screen"]
    service.save_own_words(db, intake, "", NOW)
    # Not sendable until the screener is answered.
    with pytest.raises(service.IntakeFormInvalid) as refused:
        service.submit_intake(
            db, intake, now=NOW, case_url_base="https://c.test", oncall_webhook=False
        )
    assert "C-SSRS screener: not finished yet" in str(refused.value.errors)
    answer_instrument(db, intake, "cssrs-screen", {"q1": 1, "q2": 0, "q6": 0})
    outcome = service.submit_intake(
        db,
        intake,
        now=NOW + timedelta(minutes=1),
        case_url_base="https://c.test",
        oncall_webhook=False,
    )
    scored = set(db.scalars(select(Score.instrument_id).where(Score.intake_id == intake.id)))
    assert scored == {"phq9", "cssrs-screen"}
    suggestion = db.get(Suggestion, outcome.suggestion_id)
    assert suggestion is not None
    assert {"phq9-item9", "cssrs-ideation"} <= set(suggestion.fired_rules)
    # Changing item 9 back does not take the screener away again.
    assert intake.instruments == ["phq9", "cssrs-screen"]


def test_item9_not_at_all_adds_nothing(db: Session, world: World) -> None:
    created = _intake(db, world, ["phq9", "gad7"])
    answer_instrument(db, created.intake, "phq9", ITEM9_NOT_AT_ALL)
    assert created.intake.instruments == ["phq9", "gad7"]


def test_the_screener_page_says_why_it_was_added(
    client: TestClient, db: Session, world: World
) -> None:
    created = _intake(db, world, ["phq9"], now=utcnow())
    answer_instrument(db, created.intake, "phq9", ITEM9_SEVERAL_DAYS)
    page = client.get(f"{created.path}/questions/cssrs-screen")
    assert page.status_code == 200
    assert WHY in page.text
    review = client.get(f"{created.path}/review")
    assert "C-SSRS screener" in review.text
