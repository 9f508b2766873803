"""Demo data for the intake: submitted intakes with proposals (crisis by the screener, and
words-only cases, one misspelt), and one open link.

Called from :func:`alongside.demo.seed.seed_demo_clinic`, so a newcomer sees the whole path
of an intake working: the review queue has proposals to look at, the outbox has a crisis
alert, and ``alongside demo`` prints a link to open the client's side in a browser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.instruments import get_instrument
from alongside.intake import service
from alongside.intake.questions import asked_items, parts_of
from alongside.models import CareTeam, Client, Intake, Role, User
from alongside.triage.service import set_on_call_rota

DEMO_CASE_URL_BASE = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class DemoIntake:
    """One invented intake: answers per instrument, the client's words and their consent."""

    answers: Mapping[str, Mapping[str, int]]
    words: str
    reading: bool


def _phq9(values: Sequence[int]) -> dict[str, int]:
    return {f"q{i}": v for i, v in enumerate(values, start=1)}


def _gad7(values: Sequence[int]) -> dict[str, int]:
    return {f"q{i}": v for i, v in enumerate(values, start=1)}


NO_RISK = {"q1": 0, "q2": 0, "q6": 0}

DEMO_INTAKES: tuple[DemoIntake, ...] = (
    DemoIntake(
        {"phq9": _phq9([1, 1, 2, 1, 0, 1, 1, 0, 0]), "gad7": _gad7([1, 1, 1, 0, 1, 1, 0])},
        "Since starting a new job I sleep badly and worry most evenings.",
        True,
    ),
    DemoIntake(
        {"phq9": _phq9([2, 2, 2, 2, 1, 2, 2, 1, 0]), "gad7": _gad7([2, 2, 1, 1, 1, 2, 1])},
        "My mother died in the spring and I have not felt like myself since.",
        False,
    ),
    DemoIntake(
        {
            "phq9": _phq9([3, 3, 2, 3, 2, 3, 2, 1, 2]),
            "gad7": _gad7([2, 2, 2, 1, 1, 2, 2]),
            "cssrs-screen": {"q1": 1, "q2": 1, "q3": 1, "q4": 1, "q5": 0, "q6": 0},
        },
        "I have been thinking a lot about not being here any more.",
        True,
    ),
    # Words only: mild scores and no to every screener question, but the client writes about
    # a recent overdose. Read with consent, the words escalate as question 6 "yes, within
    # three months" would (crisis, on-call alert) once the reader reports the attempt; today's
    # reader reads them as high (urgent) at least.
    DemoIntake(
        {
            "phq9": _phq9([1, 1, 1, 1, 0, 1, 0, 0, 0]),
            "gad7": _gad7([1, 1, 0, 0, 1, 0, 0]),
            "cssrs-screen": {"q1": 0, "q2": 0, "q6": 0},
        },
        "Two weeks ago I took an overdose of my tablets. I did not tell anyone and I still "
        "have some saved.",
        True,
    ),
    # Words only, typed in a hurry: the risk word is misspelt. The reader reads the text again
    # with its spelling put right, and the case shows the note as the client wrote it, with
    # the reason saying which word was read as what.
    DemoIntake(
        {
            "phq9": _phq9([1, 2, 1, 1, 1, 1, 1, 0, 0]),
            "gad7": _gad7([1, 1, 1, 1, 0, 1, 0]),
            "cssrs-screen": {"q1": 0, "q2": 0, "q6": 0},
        },
        "Work is fine. I wrote a suicde note last week and keep rereading it.",
        True,
    ),
)


def _answer(
    session: Session, intake: Intake, instrument_id: str, answers: Mapping[str, int], now: datetime
) -> None:
    definition = get_instrument(instrument_id)
    for index, part in enumerate(parts_of(definition)):
        asked = asked_items(definition, part, answers)
        if asked:
            form = {item.id: str(answers[item.id]) for item in asked}
            service.save_instrument_part(session, intake, instrument_id, index, form, now)


def _primary_clinician(session: Session, client: Client) -> User | None:
    # The client's own clinician reviews, so the demo's care teams keep their shape.
    return session.scalar(
        select(User)
        .join(CareTeam, CareTeam.clinician_id == User.id)
        .where(CareTeam.client_id == client.id)
        .order_by(CareTeam.team_role != "primary", CareTeam.created_at)
    )


def seed_demo_intakes(
    session: Session, clinicians: Sequence[User], clients: Sequence[Client], now: datetime
) -> list[str]:
    """Seed an on-call rota, the submitted demo intakes and one open one; return the open path."""
    organization_id = clinicians[0].organization_id
    set_on_call_rota(session, organization_id, [c.id for c in clinicians], now=now)
    # The coordinator makes the links, as in most clinics; each names its reviewing clinician.
    coordinator = session.scalar(
        select(User)
        .where(User.organization_id == organization_id)
        .where(User.role == Role.COORDINATOR)
        .order_by(User.created_at)
    )
    for position, demo in enumerate(DEMO_INTAKES):
        client = clients[-(position + 1)]
        clinician = _primary_clinician(session, client) or clinicians[0]
        started = now - timedelta(hours=6 * (len(DEMO_INTAKES) - position))
        created = service.create_intake(
            session,
            actor=coordinator or clinician,
            client_id=client.id,
            reviewer_id=clinician.id,
            instruments=list(demo.answers) if "cssrs-screen" in demo.answers else None,
            now=started,
        )
        intake = created.intake
        service.record_consent(
            session,
            intake,
            processing=True,
            software_reading="yes" if demo.reading else "no",
            now=started,
        )
        for instrument_id in intake.instruments:
            _answer(
                session, intake, instrument_id, demo.answers.get(instrument_id, NO_RISK), started
            )
        service.save_own_words(session, intake, demo.words, started)
        service.submit_intake(
            session,
            intake,
            now=started + timedelta(minutes=12),
            case_url_base=DEMO_CASE_URL_BASE,
            oncall_webhook=False,
        )
    # The open link goes to a clinician outside the client's care team, with the reason: the
    # clinical lead's access review shows such assignments.
    waiting = clients[len(DEMO_INTAKES)]
    team = set(
        session.scalars(select(CareTeam.clinician_id).where(CareTeam.client_id == waiting.id))
    )
    covering = next((c for c in clinicians if c.id not in team), None)
    open_link = service.create_intake(
        session,
        actor=coordinator or clinicians[0],
        client_id=waiting.id,
        reviewer_id=(covering or _primary_clinician(session, waiting) or clinicians[0]).id,
        reason="Covering the intake while the client's own clinician is on leave this week."
        if covering is not None
        else None,
        now=now,
    )
    return [open_link.path]
