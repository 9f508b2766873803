"""Synthetic repeat measures for the demo clinic: a few clients with weekly PHQ-9 and GAD-7.

One client reliably deteriorates (and lands on their clinician's attention list), one reliably
improves to below caseness (reliable recovery), one stays about the same. Each score is made by
:func:`alongside.instruments.score_instrument` from answers that add up to the total, so the
stored results look exactly like real ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from json import dumps

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.instruments import get_instrument, score_instrument
from alongside.models import CareTeam, Client, MeasurementPlan, Score
from alongside.models.measurement_plan import Cadence

# (PHQ-9 totals, GAD-7 totals), weekly, oldest first.
SERIES: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = (
    # Reliable deterioration: PHQ-9 8 -> 16 (+8 >= 6), GAD-7 6 -> 11 (+5 >= 4), into caseness.
    ((8, 9, 11, 12, 16), (6, 7, 7, 9, 11)),
    # Reliable improvement and recovery: PHQ-9 19 -> 6, GAD-7 14 -> 5, both below caseness.
    ((19, 17, 14, 11, 8, 6), (14, 12, 10, 7, 6, 5)),
    # No reliable change.
    ((12, 11, 13, 12), (9, 10, 9, 8)),
    # A long, bumpy course ending a little better than it began.
    ((15, 16, 13, 14, 12, 13, 11, 10), (11, 12, 10, 11, 9, 10, 9, 8)),
)


def answers_for(instrument_id: str, total: int) -> list[int]:
    """Answers that add up to ``total``, spread evenly; critical items stay at 0."""
    definition = get_instrument(instrument_id)
    critical = {flag.when.item for flag in definition.flags}
    items = [item for item in definition.items if item.id not in critical]
    top = max(o.value for o in definition.options_for(definition.items[0]))
    if not 0 <= total <= top * len(items):
        raise ValueError(f"{instrument_id}: {total} cannot be reached without critical items")
    answers = {item.id: 0 for item in definition.items}
    left = total
    while left:
        for item in items:
            if left and answers[item.id] < top:
                answers[item.id] += 1
                left -= 1
    return [answers[item.id] for item in definition.items]


def _score(client: Client, instrument_id: str, total: int, when: datetime) -> Score:
    result = score_instrument(instrument_id, answers_for(instrument_id, total))
    return Score(
        organization_id=client.organization_id,
        client_id=client.id,
        instrument_id=instrument_id,
        instrument_version=result.version,
        total=result.total,
        severity=result.severity,
        flags=list(result.flags),
        result=dumps(result.to_dict(), sort_keys=True),
        scored_at=when,
    )


def seed_demo_measures(session: Session, clients: Sequence[Client], now: datetime) -> list[Client]:
    """Weekly scores and a plan for the first clients given; returns the clients used."""
    used: list[Client] = []
    for client, (phq9, gad7) in zip(clients, SERIES, strict=False):
        weeks = len(phq9)
        start = now - timedelta(days=2) - timedelta(weeks=weeks - 1)
        for position, (depression, anxiety) in enumerate(zip(phq9, gad7, strict=True)):
            when = start + timedelta(weeks=position)
            session.add(_score(client, "phq9", depression, when))
            session.add(_score(client, "gad7", anxiety, when))
        clinician_id = session.scalar(
            select(CareTeam.clinician_id)
            .where(CareTeam.client_id == client.id)
            .order_by(CareTeam.team_role, CareTeam.id)
        )
        session.add(
            MeasurementPlan(
                organization_id=client.organization_id,
                client_id=client.id,
                instruments=["phq9", "gad7"],
                cadence=Cadence.INTERVAL,
                interval_days=7,
                lead_hours=48,
                anchor_at=start,
                active=True,
                set_by_id=clinician_id,
                updated_at=start,
                # The latest weekly measure is already stored; the next link is due next week.
                last_due_at=start + timedelta(weeks=weeks - 1),
            )
        )
        used.append(client)
    session.flush()
    return used


__all__ = ["SERIES", "answers_for", "seed_demo_measures"]
