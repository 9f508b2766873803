"""Helpers for review tests: submitted intakes with proposals, made through the real services."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.intake import service as intake_service
from alongside.models import Client, Suggestion, User
from tests.intake.conftest import CALM, CRISIS, complete

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CASE_URL_BASE = "http://alongside.test"

URGENT = {
    "phq9": {f"q{i}": 1 for i in range(1, 10)} | {"q9": 1},
    "gad7": {f"q{i}": 1 for i in range(1, 8)},
    "cssrs-screen": {"q1": 0, "q2": 0, "q6": 0},
}
# PHQ-9 in the severe band (24) without item 9: "soon" (Kroenke et al. 2001 bands).
SEVERE = {
    "phq9": {f"q{i}": 3 for i in range(1, 9)} | {"q9": 0},
    "gad7": {f"q{i}": 1 for i in range(1, 8)},
    "cssrs-screen": {"q1": 0, "q2": 0, "q6": 0},
}
ANSWERS: dict[str, Mapping[str, Mapping[str, int]]] = {
    "calm": CALM,
    "severe": SEVERE,
    "urgent": URGENT,
    "crisis": CRISIS,
}


def submitted(
    db: Session,
    clinician: User,
    client: Client,
    kind: str = "calm",
    *,
    at: datetime = NOW,
    words: str = "I have been low for months.",
    reading: bool = True,
    oncall_webhook: bool = False,
) -> Suggestion:
    """Create, complete and submit an intake for ``client``; return its proposal."""
    created = intake_service.create_intake(db, actor=clinician, client_id=client.id, now=NOW)
    complete(db, created.intake, ANSWERS[kind], words=words, reading=reading)
    outcome = intake_service.submit_intake(
        db,
        created.intake,
        now=at,
        case_url_base=CASE_URL_BASE,
        oncall_webhook=oncall_webhook,
    )
    suggestion = db.get(Suggestion, outcome.suggestion_id)
    assert suggestion is not None
    return suggestion


def minutes(n: float) -> timedelta:
    """A timedelta of ``n`` minutes."""
    return timedelta(minutes=n)


def proposals(db: Session) -> list[Suggestion]:
    """Every stored suggestion."""
    return list(db.scalars(select(Suggestion)))
