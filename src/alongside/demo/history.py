"""The demo clinic's past year: former clients who came through an intake, were triaged by the
rules of the day, decided by their clinician, seen and discharged.

So the clinical lead's rule preview has past intakes to replay (a changed cut-off shows how many
proposals would move), and the oversight charts have decisions over the weeks. Everything goes
through the same services as a real intake: the link, consent, the questionnaires, submission
(scores and the proposal), the clinician's decision (most accepted, some moved up, a few not
for the service; accepting or amending puts the client on the waitlist) and their leaving the
waitlist once seen. The former clients answered PHQ-9 and GAD-7 only and wrote
nothing of their own, so no crisis alert is sent and the risk reader has nothing to read.

Called from :func:`alongside.demo.seed.seed_demo_clinic` with the clinic's generator, so the
history is the same on every run.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from faker import Faker
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.instruments import get_instrument
from alongside.intake import service as intake_service
from alongside.intake.questions import asked_items, parts_of
from alongside.models import CareTeam, Client, Intake, Site, Suggestion, User, WaitlistEntry
from alongside.review.queue import URGENCIES
from alongside.review.service import decide
from alongside.scheduling.waitlist import remove_from_waitlist
from alongside.security.access import actor_for

# How many former clients (one past intake each). The lead's preview reads the last 500
# intakes (DEFAULT_PREVIEW_COUNT), so the demo has more than that and the preview reads a
# full 500. Each goes through the services (about 20 ms on SQLite), so the past year adds
# about 10 s to `alongside demo`.
PAST_INTAKES = 520
INSTRUMENTS = ("phq9", "gad7")
DISCHARGED = "discharged"
CASE_URL_BASE = "http://127.0.0.1:8000"


def _answers(rng: random.Random, items: int, total: int, highest: int = 3) -> list[int]:
    """``items`` answers of 0..highest adding up to ``total`` (spread at random)."""
    answers = [0] * items
    for _ in range(min(total, items * highest)):
        open_items = [i for i, value in enumerate(answers) if value < highest]
        answers[rng.choice(open_items)] += 1
    return answers


def past_answers(rng: random.Random) -> dict[str, dict[str, int]]:
    """One former client's answers: PHQ-9 and GAD-7 mostly mild to moderate, as referrals to
    primary-care talking therapies are, some severe; PHQ-9 question 9 answered now and then,
    which brings the C-SSRS screener (adaptive screening), mostly answered no."""
    depression = min(27, max(0, round(rng.gauss(12, 6))))
    anxiety = min(21, max(0, round(depression * 0.7 + rng.gauss(0, 3))))
    item9 = 1 if depression >= 10 and rng.random() < 0.12 else 0
    phq9 = [*_answers(rng, 8, min(depression - item9, 24)), item9]
    gad7 = _answers(rng, 7, anxiety)
    return {
        "phq9": {f"q{i}": value for i, value in enumerate(phq9, start=1)},
        "gad7": {f"q{i}": value for i, value in enumerate(gad7, start=1)},
        "cssrs-screen": {"q1": int(rng.random() < 0.4), "q2": 0, "q6": 0},
    }


# Most proposals are accepted; some the clinician moves up after the first call, a few are
# not for the service at all, so the lead's oversight page has overrides to show.
AMENDED_SHARE = 0.12
REJECTED_SHARE = 0.04
AMEND_REASON = "Sounded worse on the phone than on the forms: seen sooner."
REJECT_REASON = "Not for this service: referred back to their family doctor with advice."


def past_decision(rng: random.Random, urgency: str) -> tuple[str, str | None, str | None]:
    """The clinician's decision on a former client's proposal: (outcome, urgency, reason)."""
    roll = rng.random()
    if roll < REJECTED_SHARE:
        return "rejected", None, REJECT_REASON
    order = list(URGENCIES)
    if roll < REJECTED_SHARE + AMENDED_SHARE and urgency in order and order.index(urgency) > 0:
        return "amended", order[order.index(urgency) - 1], AMEND_REASON
    return "accepted", None, None


def _answer_all(
    session: Session, intake: Intake, answers: dict[str, dict[str, int]], now: datetime
) -> None:
    """Answer each questionnaire part by part, as the pages do (a follow-up questionnaire the
    answers call for is added to the intake on the way, and answered in its turn)."""
    done: set[str] = set()
    while pending := [name for name in intake.instruments if name not in done]:
        instrument_id = pending[0]
        definition = get_instrument(instrument_id)
        given = answers[instrument_id]
        for index, part in enumerate(parts_of(definition)):
            asked = asked_items(definition, part, given)
            if asked:
                form = {item.id: str(given[item.id]) for item in asked}
                intake_service.save_instrument_part(
                    session, intake, instrument_id, index, form, now
                )
        done.add(instrument_id)


def seed_past_year(
    session: Session,
    *,
    rng: random.Random,
    fake: Faker,
    sites: Sequence[Site],
    clinicians: Sequence[User],
    coordinator: User,
    now: datetime,
    count: int = PAST_INTAKES,
) -> list[Client]:
    """Former clients, each with one intake in the past year, decided and discharged."""
    organization_id = coordinator.organization_id
    coordinator_actor = actor_for(session, coordinator, now)
    formers: list[Client] = []
    for number in range(count):
        clinician = clinicians[number % len(clinicians)]
        client = Client(
            organization_id=organization_id,
            site_id=rng.choice(sites).id,
            given_name=fake.first_name(),
            family_name=fake.last_name(),
            email=f"{fake.user_name()}{rng.randint(100, 999)}@example.org",
            date_of_birth=fake.date_of_birth(minimum_age=18, maximum_age=80).isoformat(),
            preferred_language="en",
            status=DISCHARGED,
        )
        session.add(client)
        session.flush()
        session.add(
            CareTeam(
                organization_id=organization_id,
                client_id=client.id,
                clinician_id=clinician.id,
                team_role="primary",
            )
        )
        # Spread over the past year, oldest first, none in the last three weeks.
        started = now - timedelta(days=365 - number * 340 / count, hours=rng.randint(0, 8))
        created = intake_service.create_intake(
            session,
            actor=coordinator,
            client_id=client.id,
            reviewer_id=clinician.id,
            instruments=list(INSTRUMENTS),
            now=started,
        )
        intake = created.intake
        intake_service.record_consent(
            session, intake, processing=True, software_reading="no", now=started
        )
        _answer_all(session, intake, past_answers(rng), started)
        intake_service.save_own_words(session, intake, "", started)
        submitted = started + timedelta(minutes=rng.randint(8, 25))
        outcome = intake_service.submit_intake(
            session,
            intake,
            now=submitted,
            case_url_base=CASE_URL_BASE,
            oncall_webhook=False,
        )
        decided = submitted + timedelta(hours=rng.randint(2, 60))
        actor = actor_for(session, clinician, decided)
        proposed = session.get(Suggestion, outcome.suggestion_id)
        choice, urgency, reason = past_decision(
            random.Random(number),  # noqa: S311 - demo data, the same on every run
            proposed.urgency if proposed else "",
        )
        decide(
            session,
            user=clinician,
            actor=actor,
            suggestion_id=outcome.suggestion_id,
            outcome=choice,
            urgency=urgency,
            reason=reason,
            now=decided,
        )
        # Accepting put them on the waitlist; they were seen, and left it discharged.
        entry = session.scalar(select(WaitlistEntry.id).where(WaitlistEntry.client_id == client.id))
        if entry is not None:
            remove_from_waitlist(
                session,
                user=coordinator,
                actor=coordinator_actor,
                entry_id=entry,
                reason="Seen by the clinician; discharged after treatment.",
                now=decided + timedelta(days=rng.randint(10, 40)),
            )
        formers.append(client)
    return formers
