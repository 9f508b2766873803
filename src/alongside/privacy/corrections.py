"""Corrections: a client asks for a detail of their record to be corrected; staff decide.

GDPR Art. 16 (rectification) and HIPAA's right to amend (45 CFR 164.526). Accepting changes
the detail; declining keeps it, with the reason; either way the request keeps the value as it
was, the value asked for and the decision.

API
---
- :func:`request_correction` ``(session, user, actor, field, value, reason, now)``: the client.
- :func:`my_corrections` ``(session, actor)``: the client's requests, newest first.
- :func:`pending_corrections` ``(session, actor)``: requests staff with ``client.write`` may
  decide, oldest first.
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
    User,
)
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
MAX_VALUE = 200
MAX_REASON = 1000


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
) -> CorrectionRequest:
    """The client asks for one of their details to be corrected."""
    if actor.client_id is None or not can(
        actor, Action.CLIENT_READ, Resource(actor.organization_id, actor.client_id)
    ):
        raise NotFound(NOT_FOUND)
    if field not in FIELDS:
        raise InvalidInput("field: choose one of " + ", ".join(FIELDS) + ".")
    wanted = _clean(value, "value", MAX_VALUE, required=True)
    assert wanted is not None  # noqa: S101 - required above
    if field == "date_of_birth":
        try:
            date.fromisoformat(wanted)
        except ValueError:
            raise InvalidInput("value: a date as YYYY-MM-DD, for example 1990-04-21.") from None
    client = session.get_one(Client, actor.client_id)
    request = CorrectionRequest(
        organization_id=client.organization_id,
        client_id=client.id,
        field=field,
        status=CorrectionStatus.PENDING,
        requested_at=now,
    )
    request.previous_value = getattr(client, field)
    request.requested_value = wanted
    request.client_reason = _clean(reason, "reason", MAX_REASON, required=False)
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
        r for r in rows if can(actor, Action.CLIENT_WRITE, Resource(r.organization_id, r.client_id))
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
    """Accept (the detail changes) or decline (it stays) a correction, with a reason."""
    text = _clean(reason, "reason", MAX_REASON, required=True)
    request = session.get(CorrectionRequest, request_id)
    if request is None or not can(
        actor, Action.CLIENT_WRITE, Resource(request.organization_id, request.client_id)
    ):
        raise NotFound(NOT_FOUND)
    if request.status is not CorrectionStatus.PENDING:
        raise Conflict("This correction has already been decided.")
    client = session.get_one(Client, request.client_id)
    request.status = CorrectionStatus.ACCEPTED if accept else CorrectionStatus.DECLINED
    request.decided_at = now
    request.decided_by_id = user.id
    request.decision_reason = text
    if accept:
        request.previous_value = getattr(client, request.field)
        setattr(client, request.field, request.requested_value)
    session.flush()
    _audit(session, user, client, AuditAction.DECIDE, request.id, now)
    return request
