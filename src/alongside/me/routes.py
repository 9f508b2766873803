"""The client's own API: ``/api/me/*`` (progress, appointments, data, consents, corrections,
erasure). Clients may call only these, the session and their intake links; other roles get
404 here, as for any address that is not theirs.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from alongside.deps import CurrentSignedIn, DbSession
from alongside.kit.time import utcnow
from alongside.me import service
from alongside.me.schemas import (
    AppointmentRead,
    AppointmentsRead,
    ConsentRead,
    ConsentWrite,
    CorrectionRead,
    CorrectionWrite,
    DueRead,
    ErasureCreated,
    ErasureRead,
    MeasurePointRead,
    MeasureRead,
    MeasuresRead,
    MyNoteAddendumRead,
    MyNoteRead,
    MyNoteSectionRead,
)
from alongside.models import CorrectionRequest
from alongside.notes.schemas import SafetyPlanRead
from alongside.privacy import consents, corrections, erasure, export
from alongside.privacy.pdf import export_pdf
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action

router = APIRouter(prefix="/api/me", tags=["me"])

FHIR_JSON = "application/fhir+json"


@router.get("/measures")
def my_measures(
    permit: Annotated[Permit, requires(Action.CLIENT_READ, own_space=True)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> MeasuresRead:
    """Your repeated measures, what they mean and what changed; questionnaires due."""
    progress = service.my_progress(db, signed_in.user, signed_in.actor, utcnow())
    return MeasuresRead(
        measures=[
            MeasureRead(
                instrument=m.trend.instrument_id,
                title=m.trend.title,
                meaning=m.meaning,
                change=m.change,
                reliable_change=m.reliable,
                points=[
                    MeasurePointRead(
                        measured_at=p.measured_at,
                        total=p.total,
                        severity=p.severity,
                        marks=list(p.marks),
                    )
                    for p in m.trend.points
                ],
            )
            for m in progress.measures
        ],
        due=[DueRead(instruments=list(d.instruments), until=d.until) for d in progress.due],
    )


@router.get("/appointments")
def my_appointments(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ, own_space=True)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> AppointmentsRead:
    """Your upcoming and past appointments."""
    view = service.my_appointments(db, signed_in.user, signed_in.actor, utcnow())
    return AppointmentsRead(
        upcoming=[AppointmentRead.model_validate(a) for a in view.upcoming],
        past=[AppointmentRead.model_validate(a) for a in view.past],
    )


@router.get("/export", response_class=JSONResponse)
def my_export(
    permit: Annotated[Permit, requires(Action.CLIENT_EXPORT, own_space=True)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Everything the clinic holds about you that you are entitled to, as a FHIR R4 Bundle."""
    data = export.my_export(db, signed_in.user, signed_in.actor, utcnow())
    return Response(
        json.dumps(data.bundle, indent=2),
        media_type=FHIR_JSON,
        headers={"content-disposition": 'attachment; filename="my-record.json"'},
    )


@router.get("/export.pdf")
def my_export_pdf(
    permit: Annotated[Permit, requires(Action.CLIENT_EXPORT, own_space=True)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The same export as a readable PDF."""
    data = export.my_export(db, signed_in.user, signed_in.actor, utcnow())
    return Response(
        export_pdf(data),
        media_type="application/pdf",
        headers={"content-disposition": 'attachment; filename="my-record.pdf"'},
    )


@router.get("/consents")
def my_consents(
    permit: Annotated[Permit, requires(Action.CLIENT_READ, own_space=True)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[ConsentRead]:
    """Each consent purpose, whether it is given, the text version and when it was decided."""
    states = consents.my_consents(db, signed_in.user, signed_in.actor, utcnow())
    return [ConsentRead.model_validate(s) for s in states]


@router.put("/consents/{purpose}")
def put_my_consent(
    permit: Annotated[Permit, requires(Action.CLIENT_READ, own_space=True)],
    purpose: str,
    body: ConsentWrite,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> ConsentRead:
    """Give or withdraw one consent; it applies to everything from now on."""
    state = consents.set_my_consent(
        db, signed_in.user, signed_in.actor, purpose, body.granted, utcnow()
    )
    return ConsentRead.model_validate(state)


@router.post("/erasure-requests", status_code=202)
def request_my_erasure(
    permit: Annotated[Permit, requires(Action.ERASURE_REQUEST, own_space=True)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> ErasureCreated:
    """Ask for your record to be erased; the clinical lead decides."""
    actor = signed_in.actor
    client_id = service.own_client_id(actor)
    request, token = erasure.request_erasure(db, signed_in.user, actor, client_id, utcnow())
    return ErasureCreated(
        id=request.id, status="pending", certificate_url=f"/erasure-certificates/{token}"
    )


@router.get("/erasure-requests")
def my_erasure_requests(
    permit: Annotated[Permit, requires(Action.ERASURE_REQUEST, own_space=True)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[ErasureRead]:
    """Your erasure requests and their decisions."""
    return [
        ErasureRead(
            id=r.id, status=r.status.value, requested_at=r.requested_at, decided_at=r.decided_at
        )
        for r in erasure.my_erasure_requests(db, signed_in.actor)
    ]


def correction_read(row: CorrectionRequest) -> CorrectionRead:
    """A correction request as JSON."""
    return CorrectionRead(
        id=row.id,
        field=row.field,
        note_id=row.note_id,
        status=row.status.value,
        previous_value=row.previous_value,
        requested_value=str(row.requested_value),
        client_reason=row.client_reason,
        decision_reason=row.decision_reason,
        requested_at=row.requested_at,
        decided_at=row.decided_at,
    )


@router.post("/corrections", status_code=201)
def request_my_correction(
    permit: Annotated[Permit, requires(Action.CLIENT_READ, own_space=True)],
    body: CorrectionWrite,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> CorrectionRead:
    """Ask for one of your details, or one of your notes, to be corrected."""
    row = corrections.request_correction(
        db,
        signed_in.user,
        signed_in.actor,
        field=body.field,
        value=body.value,
        reason=body.reason,
        now=utcnow(),
        note_id=body.note_id,
    )
    return correction_read(row)


@router.get("/corrections")
def my_corrections(
    permit: Annotated[Permit, requires(Action.CLIENT_READ, own_space=True)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[CorrectionRead]:
    """Your correction requests and their decisions."""
    return [correction_read(r) for r in corrections.my_corrections(db, signed_in.actor)]


@router.get("/notes")
def my_notes(
    permit: Annotated[Permit, requires(Action.CLIENT_READ, own_space=True)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[MyNoteRead]:
    """Your signed progress notes, newest first, with addenda and the corrections you asked
    for (psychotherapy notes and drafts are not part of your record's copy)."""
    return [
        MyNoteRead(
            id=n.id,
            title=n.title,
            author=n.author,
            signed_at=n.signed_at,
            sections=[MyNoteSectionRead(title=t, sentences=list(lines)) for t, lines in n.sections],
            addenda=[
                MyNoteAddendumRead(text=a.text, author=a.author, signed_at=a.signed_at)
                for a in n.addenda
            ],
            corrections=[correction_read(c) for c in n.corrections],
        )
        for n in service.my_notes(db, signed_in.user, signed_in.actor, utcnow())
    ]


@router.get("/safety-plan")
def my_safety_plan(
    permit: Annotated[Permit, requires(Action.SAFETY_PLAN_READ, own_space=True)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[SafetyPlanRead]:
    """Your safety plan as your clinician and you wrote it, newest version first."""
    from alongside.notes import safety
    from alongside.notes.routes import plan_read

    _client, plans = safety.safety_plan_versions(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        client_id=service.own_client_id(signed_in.actor),
        now=utcnow(),
    )
    return [plan_read(p) for p in plans]
