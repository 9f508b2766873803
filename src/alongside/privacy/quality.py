"""A de-identified export of measures and waits, for service evaluation.

What it holds: per client a pseudonym made for this export only (``S001``...), measures
(instrument, shifted date, total, band) and waits (urgency, days from referral to first
appointment). What it never holds: names, contact details, dates of birth, record ids, free
text, or true dates: each client's dates move by their own random shift of 7 to 60 days,
either way, so intervals stay true but no date can be matched to a calendar. Small cells are
suppressed: an instrument or urgency with fewer than :data:`SMALL_CELL` clients is left out of
the rows, and summary counts below it are given as ``null`` with ``suppressed: true`` (the
NHS Digital / ONS practice of suppressing counts under 5, applied here to clients).

Clients whose record was erased and clients who declined "research" in "My consents" are left
out. The export itself is audited (no client named).
"""

from __future__ import annotations

import secrets
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alongside.audit.service import record
from alongside.errors import NotFound
from alongside.models import (
    Appointment,
    AuditAction,
    AuditOutcome,
    AuditPurpose,
    Client,
    Consent,
    Intake,
    Score,
    Suggestion,
    User,
)
from alongside.privacy.consents import RESEARCH
from alongside.security.permissions import Action
from alongside.security.policy import Actor, can

SMALL_CELL = 5
NOT_FOUND = "There is nothing at this address. Check the link, or go back to your home page."


def _shift() -> timedelta:
    days = 7 + secrets.randbelow(54)  # 7..60
    return timedelta(days=days if secrets.randbelow(2) else -days)


def _excluded(session: Session, organization_id: uuid.UUID) -> set[uuid.UUID]:
    erased = set(
        session.scalars(
            select(Client.id)
            .where(Client.organization_id == organization_id)
            .where(Client.status == "erased")
        )
    )
    latest: dict[uuid.UUID, bool] = {}
    for client_id, granted in session.execute(
        select(Consent.client_id, Consent.granted)
        .where(Consent.organization_id == organization_id)
        .where(Consent.purpose == RESEARCH)
        .order_by(Consent.recorded_at, Consent.created_at)
    ):
        latest[client_id] = granted
    return erased | {cid for cid, granted in latest.items() if not granted}


def quality_export(session: Session, user: User, actor: Actor, now: datetime) -> dict[str, Any]:
    """Measures and waits without identities, dates shifted per client, small cells suppressed."""
    if not can(actor, Action.FAIRNESS_READ):
        raise NotFound(NOT_FOUND)
    org = actor.organization_id
    excluded = _excluded(session, org)
    scores = [
        row
        for row in session.execute(
            select(
                Score.client_id, Score.instrument_id, Score.scored_at, Score.total, Score.severity
            )
            .where(Score.organization_id == org)
            .order_by(Score.scored_at, Score.id)
        )
        if row.client_id not in excluded
    ]
    referrals = dict(
        session.execute(
            select(Intake.client_id, func.min(Intake.created_at))
            .where(Intake.organization_id == org)
            .group_by(Intake.client_id)
        ).all()
    )
    first_seen = dict(
        session.execute(
            select(Appointment.client_id, func.min(Appointment.starts_at))
            .where(Appointment.organization_id == org)
            .group_by(Appointment.client_id)
        ).all()
    )
    urgency = {
        client_id: value
        for client_id, value in session.execute(
            select(Suggestion.client_id, Suggestion.urgency)
            .where(Suggestion.organization_id == org)
            .order_by(Suggestion.proposed_at)
        )
    }
    clients = sorted(
        {r.client_id for r in scores} | (set(referrals) - excluded),
        key=lambda _cid: secrets.randbelow(1 << 30),  # pseudonyms in no stored order
    )
    pseudonym = {cid: f"S{n:03d}" for n, cid in enumerate(clients, start=1)}
    shift = {cid: _shift() for cid in clients}

    subjects_by_instrument: dict[str, set[uuid.UUID]] = defaultdict(set)
    for row in scores:
        subjects_by_instrument[row.instrument_id].add(row.client_id)
    measures = [
        {
            "subject": pseudonym[row.client_id],
            "instrument": row.instrument_id,
            "date": (row.scored_at + shift[row.client_id]).date().isoformat(),
            "total": row.total,
            "band": row.severity,
        }
        for row in scores
        if len(subjects_by_instrument[row.instrument_id]) >= SMALL_CELL
    ]
    waits_raw = []
    for cid in clients:
        if cid not in referrals or cid not in first_seen:
            continue
        days = (first_seen[cid] - referrals[cid]).days
        waits_raw.append((cid, urgency.get(cid, "unknown"), max(days, 0)))
    by_urgency = Counter(u for _cid, u, _d in waits_raw)
    waits = [
        {"subject": pseudonym[cid], "urgency": u, "wait_days": d}
        for cid, u, d in waits_raw
        if by_urgency[u] >= SMALL_CELL
    ]
    band_counts: dict[tuple[str, str], set[uuid.UUID]] = defaultdict(set)
    for row in scores:
        band_counts[(row.instrument_id, row.severity)].add(row.client_id)
    summary = []
    for (instrument, band), subjects in sorted(band_counts.items()):
        small = len(subjects) < SMALL_CELL
        summary.append(
            {
                "instrument": instrument,
                "band": band,
                "clients": None if small else len(subjects),
                "suppressed": small,
            }
        )
    record(
        session,
        actor=user,
        action=AuditAction.EXPORT,
        resource_type="quality_export",
        resource_id=None,
        client_id=None,
        organization_id=org,
        purpose=AuditPurpose.OPERATIONS,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )
    return {
        "about": (
            "De-identified for service evaluation: pseudonyms made for this export only, each "
            "client's dates shifted by their own 7 to 60 days, no names, contact details, "
            f"record ids or free text; groups of fewer than {SMALL_CELL} clients suppressed."
        ),
        "small_cell": SMALL_CELL,
        "measures": measures,
        "waits": waits,
        "summary": summary,
    }
