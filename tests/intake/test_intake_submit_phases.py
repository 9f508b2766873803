"""Submit reads the words for risk between two transactions, holding no connection or lock.

The page prepares the submission (checks, scores, consent, ruleset), ends its transaction, runs
the risk reader, then stores everything in a second transaction that first checks, by a
compare-and-set on the intake's ``updated_at``, that nothing was saved since it was prepared.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alongside.errors import Conflict
from alongside.instruments import get_instrument
from alongside.intake import service
from alongside.intake.questions import parts_of
from alongside.kit.time import utcnow
from alongside.models import Intake, IntakeStatus, RiskReading, Role, Score, Suggestion
from alongside.triage import service as triage_service
from tests.fixtures.factories import World
from tests.intake.conftest import CALM, CRISIS, NOW, answer_instrument, complete
from tests.intake.test_intake_routes import _walk
from tests.intake.test_intake_service import _reader_reading

BASE = "https://clinic.example"


def _store(db: Session, intake: Intake, prepared: Any) -> triage_service.SubmitOutcome:
    return service.submit_intake(
        db,
        intake,
        now=NOW + timedelta(minutes=10),
        case_url_base=BASE,
        oncall_webhook=False,
        prepared=prepared,
    )


def test_the_risk_reader_runs_with_no_transaction_open(
    app: FastAPI,
    client: TestClient,
    db: Session,
    world: World,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[Session] = []

    def recording_factory() -> Session:
        session = session_factory()
        opened.append(session)
        return session

    app.state.sessionmaker = recording_factory
    seen: list[bool] = []
    reads = _reader_reading()

    def reader(text: str, **kwargs: object) -> Any:
        seen.append(any(session.in_transaction() for session in opened))
        return reads(text, **kwargs)  # type: ignore[operator]

    monkeypatch.setattr(triage_service, "_reader", lambda: reader)
    created = service.create_intake(
        db, actor=world.users[Role.CLINICIAN], client_id=world.own_client.id, now=utcnow()
    )
    db.commit()
    _walk(client, created.path, CALM, "Work has been hard.")
    done = client.post(f"{created.path}/submit")
    assert done.status_code == 200, done.text
    # Positive control of the check itself: the submit request's session was seen.
    assert opened
    assert seen == [False]
    stored = db.scalar(select(RiskReading).where(RiskReading.intake_id == created.intake.id))
    assert stored is not None


def test_an_answer_saved_after_preparing_is_the_one_submitted(
    db: Session, created: service.CreatedIntake
) -> None:
    intake = created.intake
    complete(db, intake, CALM)
    prepared = service.read_submission(service.prepare_submission(db, intake))
    calm_total = prepared.scores["phq9"]["total"]
    # Another tab changes the PHQ-9 answers after this submission was prepared.
    later = NOW + timedelta(minutes=1)
    for index, part in enumerate(parts_of(get_instrument("phq9"))):
        form = {item.id: str(CRISIS["phq9"][item.id]) for item in part}
        service.save_instrument_part(db, intake, "phq9", index, form, later)
    outcome = _store(db, intake, prepared)
    score = db.scalar(
        select(Score).where(Score.intake_id == intake.id).where(Score.instrument_id == "phq9")
    )
    assert score is not None
    assert score.total != calm_total
    assert score.total == sum(CRISIS["phq9"].values())
    assert db.get(Suggestion, outcome.suggestion_id) is not None
    assert intake.status is IntakeStatus.SUBMITTED


def test_an_unchanged_intake_stores_what_was_prepared_and_read(
    db: Session, created: service.CreatedIntake, monkeypatch: pytest.MonkeyPatch
) -> None:
    intake = created.intake
    complete(db, intake, CALM)
    prepared = service.read_submission(service.prepare_submission(db, intake))

    def must_not_read(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the words were read again although nothing changed")

    monkeypatch.setattr(triage_service, "_reader", lambda: must_not_read)
    outcome = _store(db, intake, prepared)
    suggestion = db.get(Suggestion, outcome.suggestion_id)
    assert suggestion is not None
    assert suggestion.inputs_dict["risk"] == prepared.risk
    db.expire_all()
    stored = db.get(Intake, intake.id)
    assert stored is not None
    assert stored.status is IntakeStatus.SUBMITTED
    assert stored.needs_human_reading is outcome.needs_human_reading


def test_a_submission_prepared_twice_is_stored_once(
    db: Session, created: service.CreatedIntake
) -> None:
    intake = created.intake
    complete(db, intake, CALM)
    first = service.read_submission(service.prepare_submission(db, intake))
    second = service.read_submission(service.prepare_submission(db, intake))
    _store(db, intake, first)
    with pytest.raises(Conflict):
        _store(db, intake, second)
    assert len(db.scalars(select(Suggestion).where(Suggestion.intake_id == intake.id)).all()) == 1


def test_preparing_refuses_an_unfinished_intake(
    db: Session, created: service.CreatedIntake
) -> None:
    intake = created.intake
    service.record_consent(db, intake, processing=True, software_reading="yes", now=NOW)
    answer_instrument(db, intake, "phq9", CALM["phq9"])
    with pytest.raises(service.IntakeFormInvalid) as raised:
        service.prepare_submission(db, intake)
    assert {error.field_id for error in raised.value.errors} >= {"step-gad7", "step-words"}
