"""Staff side of the client's rights: erasure decisions (the clinical lead), retention,
subject-access exports and correction decisions. What an actor may not use answers 404.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import Field

from alongside.deps import CurrentSignedIn, DbSession
from alongside.errors import NotFound
from alongside.kit.ids import parse_id
from alongside.kit.schema import Schema
from alongside.kit.time import utcnow
from alongside.me.routes import FHIR_JSON, correction_read
from alongside.me.schemas import CorrectionRead, ErasureCreated
from alongside.models import ErasureRequest, Organization
from alongside.privacy import corrections, erasure, export, quality, retention
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action
from alongside.security.policy import Resource, can

router = APIRouter(prefix="/api", tags=["privacy"])


class RetentionLineRead(Schema):
    """One record type against its retention rule."""

    record_type: str
    label: str
    years: int | None
    source: str
    retained_until: datetime | None
    within_retention: bool


class ErasureRequestRead(Schema):
    """An erasure request as the clinical lead sees it, with the retention rules in view."""

    id: uuid.UUID
    client_id: uuid.UUID
    status: str
    on_behalf: bool
    requested_by_role: str
    requested_at: datetime
    decided_at: datetime | None
    decision_reason: str | None
    last_contact: datetime | None = None
    retention: list[RetentionLineRead] = Field(default_factory=list)
    certificate: dict[str, Any] | None = None


class DecisionWrite(Schema):
    """Approve (erase now) or decline, with a reason kept after erasure (no personal details)."""

    decision: Literal["approved", "declined"]
    reason: str = Field(max_length=1000)


class ExportWrite(Schema):
    """Why staff produce a client's export (a subject-access request)."""

    reason: str = Field(max_length=500)


class CorrectionDecisionWrite(Schema):
    """Accept or decline a correction, with a reason."""

    decision: Literal["accepted", "declined"]
    reason: str = Field(max_length=1000)


class PastRetentionRead(Schema):
    """A client whose records are past every retention period."""

    client_id: uuid.UUID
    last_contact: datetime
    retained_until: datetime


def _read(
    request: ErasureRequest, view: retention.RetentionView | None, now: datetime
) -> ErasureRequestRead:
    lines = []
    if view is not None:
        lines = [
            RetentionLineRead(
                record_type=line.rule.record_type,
                label=line.rule.label,
                years=line.rule.years,
                source=line.rule.source,
                retained_until=line.retained_until,
                within_retention=line.rule.years != 0 and line.within(now),
            )
            for line in view.lines
        ]
    return ErasureRequestRead(
        id=request.id,
        client_id=request.client_id,
        status=request.status.value,
        on_behalf=request.on_behalf,
        requested_by_role=request.requested_by_role,
        requested_at=request.requested_at,
        decided_at=request.decided_at,
        decision_reason=request.decision_reason,
        last_contact=None if view is None else view.last_contact,
        retention=lines,
        certificate=request.certificate,
    )


@router.post("/clients/{client_id}/erasure-requests", status_code=202)
def request_erasure_on_behalf(
    permit: Annotated[Permit, requires(Action.CLIENT_WRITE, Action.CLIENT_ERASE)],
    client_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> ErasureCreated:
    """File an erasure request on a client's behalf (staff who may change their record)."""
    request, token = erasure.request_erasure(
        db,
        signed_in.user,
        signed_in.actor,
        parse_id(client_id, erasure.NOT_FOUND),
        utcnow(),
    )
    return ErasureCreated(
        id=request.id, status="pending", certificate_url=f"/erasure-certificates/{token}"
    )


@router.get("/erasure-requests")
def list_erasure_requests(
    permit: Annotated[Permit, requires(Action.CLIENT_ERASE)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[ErasureRequestRead]:
    """Erasure requests waiting for a decision, oldest first (clinical lead)."""
    now = utcnow()
    out = []
    for request in erasure.pending_requests(db, signed_in.actor):
        _request, view = erasure.request_for_decision(db, signed_in.actor, request.id)
        out.append(_read(request, view, now))
    return out


@router.get("/erasure-requests/{request_id}")
def get_erasure_request(
    permit: Annotated[Permit, requires(Action.CLIENT_ERASE)],
    request_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> ErasureRequestRead:
    """One erasure request with the client's records against the retention rules."""
    request, view = erasure.request_for_decision(
        db, signed_in.actor, parse_id(request_id, erasure.NOT_FOUND)
    )
    return _read(request, view, utcnow())


@router.post("/erasure-requests/{request_id}/decision")
def decide_erasure_request(
    permit: Annotated[Permit, requires(Action.CLIENT_ERASE)],
    request_id: str,
    body: DecisionWrite,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> ErasureRequestRead:
    """Approve (the record is erased now) or decline, with a reason (clinical lead)."""
    now = utcnow()
    request = erasure.decide_erasure(
        db,
        signed_in.user,
        signed_in.actor,
        parse_id(request_id, erasure.NOT_FOUND),
        approve=body.decision == "approved",
        reason=body.reason,
        now=now,
    )
    return _read(request, None, now)


def _lead_organization(db: DbSession, signed_in: CurrentSignedIn) -> Organization:
    actor = signed_in.actor
    if not can(actor, Action.CLIENT_ERASE, Resource(actor.organization_id, uuid.UUID(int=0))):
        raise NotFound(erasure.NOT_FOUND)
    return db.get_one(Organization, actor.organization_id)


@router.get("/retention/rules")
def retention_rules(
    permit: Annotated[Permit, requires(Action.CLIENT_ERASE)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[dict[str, Any]]:
    """The organisation's retention periods per record type, with their legal source."""
    organization = _lead_organization(db, signed_in)
    return [
        {"record_type": r.record_type, "label": r.label, "years": r.years, "source": r.source}
        for r in retention.retention_rules(db, organization)
    ]


@router.get("/retention/past")
def past_retention(
    permit: Annotated[Permit, requires(Action.CLIENT_ERASE)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[PastRetentionRead]:
    """Clients whose records are past every retention period (clinical lead)."""
    organization = _lead_organization(db, signed_in)
    return [
        PastRetentionRead.model_validate(p)
        for p in retention.past_retention(db, organization, utcnow())
    ]


@router.post("/clients/{client_id}/export")
def subject_access_export(
    permit: Annotated[Permit, requires(Action.CLIENT_EXPORT)],
    client_id: str,
    body: ExportWrite,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """A client's full export for a subject-access request (audited, with the reason)."""
    data = export.staff_export(
        db,
        signed_in.user,
        signed_in.actor,
        parse_id(client_id, erasure.NOT_FOUND),
        body.reason,
        utcnow(),
    )
    return Response(json.dumps(data.bundle, indent=2), media_type=FHIR_JSON)


@router.get("/corrections")
def list_corrections(
    permit: Annotated[Permit, requires(Action.CLIENT_WRITE, Action.NOTE_WRITE)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[CorrectionRead]:
    """Correction requests waiting for a decision that you may make."""
    return [
        correction_read(r)
        for r in corrections.pending_corrections(db, signed_in.user, signed_in.actor, utcnow())
    ]


@router.post("/corrections/{request_id}/decision")
def decide_correction(
    permit: Annotated[Permit, requires(Action.CLIENT_WRITE, Action.NOTE_WRITE)],
    request_id: str,
    body: CorrectionDecisionWrite,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> CorrectionRead:
    """Accept (the detail changes) or decline a correction, with a reason."""
    row = corrections.decide_correction(
        db,
        signed_in.user,
        signed_in.actor,
        parse_id(request_id, erasure.NOT_FOUND),
        accept=body.decision == "accepted",
        reason=body.reason,
        now=utcnow(),
    )
    return correction_read(row)


@router.get("/quality/export")
def quality_export(
    permit: Annotated[Permit, requires(Action.FAIRNESS_READ)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> dict[str, Any]:
    """Measures and waits without identities, for service evaluation (clinical lead)."""
    return quality.quality_export(db, signed_in.user, signed_in.actor, utcnow())
