"""Corrections: a client asks for a detail of their record, or a note, to be corrected.

GDPR Art. 16 (rectification) and HIPAA's right to amend (45 CFR 164.526). Accepting changes
the detail; declining keeps it, with the reason; either way the request keeps the value as it
was, the value asked for and the decision. A signed note is never rewritten: an accepted
correction of a note is added to it as a signed addendum, and a declined one stays linked to
the note with the reason (45 CFR 164.526(d)(4): identify the record and link the request).
Details are decided by staff who may change the client's record (``client.write``); notes by
their care team's clinicians (``note.write``).

API
---
- :func:`request_correction` ``(session, user, actor, field, value, reason, now, note_id)``:
  the client (``field="note"`` with the id of one of their signed progress notes).
- :func:`my_corrections` ``(session, actor)``: the client's requests, newest first.
- :func:`pending_corrections` ``(session, user, actor, now)``: requests this member of staff
  may decide, oldest first.
- :func:`corrections_of_note` ``(session, note_id)``: the requests linked to a note.
- :func:`decide_correction` ``(session, user, actor, request_id, accept, reason, now)``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.audit.service import record
from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.models import (
    AuditAction,
    AuditOutcome,
    AuditPurpose,
    Client,
    CorrectionRequest,
    CorrectionStatus,
    Note,
    NoteKind,
    NoteStatus,
    User,
)
from alongside.security.guard import load_or_refuse
from alongside.security.permissions import Action
from alongside.security.policy import Actor, Resource, can

NOT_FOUND = "There is nothing at this address. Check the link, or go back to your home page."
FIELDS = {
    "given_name": "First name",
    "family_name": "Last name",
    "email": "Email",
    "phone": "Phone",
    "date_of_birth": "Date of birth",
}
NOTE = "note"
NOTE_LABEL = "A note"
MAX_VALUE = 200
MAX_NOTE_VALUE = 2000
MAX_REASON = 1000


def label_of(field: str) -> str:
    """The words for what a request is about."""
    return NOTE_LABEL if field == NOTE else FIELDS.get(field, field)


def _decider_action(request: CorrectionRequest) -> Action:
    return Action.NOTE_WRITE if request.field == NOTE else Action.CLIENT_WRITE


def client_note(
    session: Session, user: User, actor: Actor, note_id: uuid.UUID | None, now: datetime
) -> Note:
    """One of the client's signed progress notes (what they may read), else an audited 404.

    Drafts and psychotherapy notes are not part of what a client reads, so they cannot be
    named here either (and the answer does not say whether they exist)."""
    if note_id is None:
        raise NotFound(NOT_FOUND)
    return load_or_refuse(
        session,
        Note,
        note_id,
        user=user,
        actor=actor,
        resource_type="note",
        allowed=lambda n: (
            n.client_id == actor.client_id
            and n.kind == NoteKind.PROGRESS
            and n.status == NoteStatus.SIGNED
        ),
        now=now,
        message=NOT_FOUND,
    )


def _clean(text: str | None, name: str, limit: int, *, required: bool) -> str | None:
    value = " ".join((text or "").split())
    if not value:
        if required:
            raise InvalidInput(f"{name}: please fill this in.")
        return None
    if len(value) > limit:
        raise InvalidInput(f"{name}: at most {limit} characters.")
    return value


def _audit(
    session: Session, user: User, client: Client, action: AuditAction, rid: uuid.UUID, now: datetime
) -> None:
    record(
        session,
        actor=user,
        action=action,
        resource_type="correction_request",
        resource_id=rid,
        client_id=client.id,
        organization_id=client.organization_id,
        purpose=AuditPurpose.CLIENT_ACCESS if user.client_id else AuditPurpose.OPERATIONS,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )


def request_correction(
    session: Session,
    user: User,
    actor: Actor,
    *,
    field: str,
    value: str | None,
    reason: str | None,
    now: datetime,
    note_id: uuid.UUID | None = None,
) -> CorrectionRequest:
    """The client asks for one of their details, or one of their notes, to be corrected."""
    if actor.client_id is None or not can(
        actor, Action.CLIENT_READ, Resource(actor.organization_id, actor.client_id)
    ):
        raise NotFound(NOT_FOUND)
    if field == NOTE:
        note = client_note(session, user, actor, note_id, now)
        wanted = _clean(value, "What should change", MAX_NOTE_VALUE, required=True)
    else:
        if field not in FIELDS:
            raise InvalidInput(
                "Choose which detail to correct: " + ", ".join(FIELDS.values()).lower() + "."
            )
        note = None
        wanted = _clean(value, "The right value", MAX_VALUE, required=True)
    assert wanted is not None  # noqa: S101 - required above
    if field == "date_of_birth":
        try:
            date.fromisoformat(wanted)
        except ValueError:
            raise InvalidInput(
                "The right value: a date of birth as YYYY-MM-DD, for example 1990-04-21."
            ) from None
    client = session.get_one(Client, actor.client_id)
    request = CorrectionRequest(
        organization_id=client.organization_id,
        client_id=client.id,
        field=field,
        note_id=None if note is None else note.id,
        status=CorrectionStatus.PENDING,
        requested_at=now,
    )
    request.previous_value = None if note is not None else getattr(client, field)
    request.requested_value = wanted
    request.client_reason = _clean(reason, "Why", MAX_REASON, required=False)
    session.add(request)
    session.flush()
    _audit(session, user, client, AuditAction.CREATE, request.id, now)
    return request


def my_corrections(session: Session, actor: Actor) -> list[CorrectionRequest]:
    """The signed-in client's correction requests, newest first."""
    if actor.client_id is None:
        raise NotFound(NOT_FOUND)
    return list(
        session.scalars(
            select(CorrectionRequest)
            .where(CorrectionRequest.client_id == actor.client_id)
            .order_by(CorrectionRequest.requested_at.desc())
        )
    )


def pending_corrections(
    session: Session, user: User, actor: Actor, now: datetime
) -> list[CorrectionRequest]:
    """Correction requests this member of staff may decide, oldest first (each read audited)."""
    rows = session.scalars(
        select(CorrectionRequest)
        .where(CorrectionRequest.organization_id == actor.organization_id)
        .where(CorrectionRequest.status == CorrectionStatus.PENDING)
        .order_by(CorrectionRequest.requested_at)
    )
    found = [
        r for r in rows if can(actor, _decider_action(r), Resource(r.organization_id, r.client_id))
    ]
    for row in found:
        record(
            session,
            actor=user,
            action=AuditAction.READ,
            resource_type="correction_request",
            resource_id=row.id,
            client_id=row.client_id,
            organization_id=row.organization_id,
            purpose=AuditPurpose.OPERATIONS,
            outcome=AuditOutcome.SUCCESS,
            now=now,
        )
    return found


def corrections_of_note(session: Session, note_id: uuid.UUID) -> list[CorrectionRequest]:
    """The correction requests linked to a note, oldest first (callers checked access)."""
    return list(
        session.scalars(
            select(CorrectionRequest)
            .where(CorrectionRequest.note_id == note_id)
            .order_by(CorrectionRequest.requested_at)
        )
    )


def addendum_text(request: CorrectionRequest, reason: str) -> str:
    """The signed addendum an accepted correction of a note becomes."""
    asked = request.requested_at.date().isoformat()
    lines = [
        f"Correction asked for by the client on {asked} and accepted: {request.requested_value}"
    ]
    if request.client_reason:
        lines.append(f"The client's reason: {request.client_reason}")
    lines.append(f"Clinician's note on the correction: {reason}")
    return "\n".join(lines)


def decide_correction(
    session: Session,
    user: User,
    actor: Actor,
    request_id: uuid.UUID,
    *,
    accept: bool,
    reason: str | None,
    now: datetime,
) -> CorrectionRequest:
    """Accept or decline a correction, with a reason.

    A detail changes when accepted; a note gets a signed addendum (it is never rewritten)."""
    text = _clean(reason, "Reason", MAX_REASON, required=True)
    assert text is not None  # noqa: S101 - required above
    request = session.get(CorrectionRequest, request_id)
    if request is None or not can(
        actor, _decider_action(request), Resource(request.organization_id, request.client_id)
    ):
        raise NotFound(NOT_FOUND)
    if request.status is not CorrectionStatus.PENDING:
        raise Conflict("This correction has already been decided.")
    client = session.get_one(Client, request.client_id)
    if request.field == NOTE and request.note_id is None:
        # The note itself is gone (only possible after an erasure); nothing to amend.
        raise Conflict("The note this correction is about is no longer on the record.")
    request.status = CorrectionStatus.ACCEPTED if accept else CorrectionStatus.DECLINED
    request.decided_at = now
    request.decided_by_id = user.id
    request.decision_reason = text
    if accept and request.field == NOTE:
        from alongside.notes.service import add_addendum

        assert request.note_id is not None  # noqa: S101 - checked above
        add_addendum(
            session,
            user=user,
            actor=actor,
            note_id=request.note_id,
            text=addendum_text(request, text),
            now=now,
        )
    elif accept:
        request.previous_value = getattr(client, request.field)
        setattr(client, request.field, request.requested_value)
    session.flush()
    _audit(session, user, client, AuditAction.DECIDE, request.id, now)
    return request
