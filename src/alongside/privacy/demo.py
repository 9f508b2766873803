"""Demo data for the client's own space: the signed-in demo client has weekly measures
(improving), consents decided, and corrections waiting (a detail, and a signed note); the
clinical lead has an erasure request waiting (filed by the coordinator on another client's
behalf)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.intake.consent_text import current_consent_text
from alongside.measures.demo import SERIES, _score  # the same invented scores as the staff tour
from alongside.models import (
    Client,
    Consent,
    CorrectionRequest,
    CorrectionStatus,
    ErasureRequest,
    ErasureStatus,
    Note,
    NoteKind,
    NoteStatus,
    User,
)
from alongside.models.consent import SOFTWARE_READING
from alongside.privacy.consents import REMINDERS, RESEARCH, consent_texts
from alongside.privacy.erasure import hash_token


def seed_client_space(
    session: Session,
    portal_client: Client,
    other_client: Client,
    coordinator: User,
    now: datetime,
) -> None:
    """Measures, consents and a correction for the demo client; an erasure request for the lead."""
    phq9, gad7 = SERIES[1]  # reliable improvement and recovery
    start = now - timedelta(days=3) - timedelta(weeks=len(phq9) - 1)
    for position, (depression, anxiety) in enumerate(zip(phq9, gad7, strict=True)):
        when = start + timedelta(weeks=position)
        session.add(_score(portal_client, "phq9", depression, when))
        session.add(_score(portal_client, "gad7", anxiety, when))
    version = consent_texts()[0]
    decisions: Sequence[tuple[str, bool, str, datetime]] = (
        (SOFTWARE_READING, True, current_consent_text().version, start),
        (REMINDERS, True, version, start + timedelta(days=1)),
        (RESEARCH, False, version, start + timedelta(days=1)),
    )
    for purpose, granted, text_version, when in decisions:
        session.add(
            Consent(
                organization_id=portal_client.organization_id,
                client_id=portal_client.id,
                purpose=purpose,
                granted=granted,
                text_version=text_version,
                recorded_at=when,
            )
        )
    correction = CorrectionRequest(
        organization_id=portal_client.organization_id,
        client_id=portal_client.id,
        field="phone",
        status=CorrectionStatus.PENDING,
        requested_at=now - timedelta(days=1),
    )
    correction.previous_value = portal_client.phone
    correction.requested_value = "+1-555-0100-2024"
    correction.client_reason = "I changed my number."
    session.add(correction)
    # A correction of a signed note, waiting for the care team (the note says March; the
    # client started in February).
    note_id = session.scalar(
        select(Note.id)
        .where(Note.client_id == portal_client.id)
        .where(Note.kind == NoteKind.PROGRESS)
        .where(Note.status == NoteStatus.SIGNED)
        .order_by(Note.signed_at.desc())
        .limit(1)
    )
    if note_id is not None:
        note_correction = CorrectionRequest(
            organization_id=portal_client.organization_id,
            client_id=portal_client.id,
            field="note",
            note_id=note_id,
            status=CorrectionStatus.PENDING,
            requested_at=now - timedelta(hours=20),
        )
        note_correction.requested_value = (
            "The note says I start the new job in March. I started it in February."
        )
        session.add(note_correction)
    session.add(
        ErasureRequest(
            organization_id=other_client.organization_id,
            client_id=other_client.id,
            requested_by_id=coordinator.id,
            requested_by_role=coordinator.role.value,
            on_behalf=True,
            status=ErasureStatus.PENDING,
            requested_at=now - timedelta(days=3),
            certificate_token_hash=hash_token(secrets.token_urlsafe(32)),
        )
    )
    session.flush()
