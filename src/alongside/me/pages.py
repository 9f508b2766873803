"""The client's own pages: progress, appointments, consents, my data (export, corrections,
erasure), and the erasure certificate link. Every form works without JavaScript (post, then a
303 redirect); the pages fit a phone's width.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup

from alongside.db import refusable
from alongside.deps import CurrentSignedIn, DbSession
from alongside.errors import AlongsideError
from alongside.kit.http import wants_html
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.me import service
from alongside.measures.chart import chart_id, chart_svg
from alongside.privacy import consents, corrections, erasure
from alongside.privacy.corrections import FIELDS
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action
from alongside.templating import render

router = APIRouter(include_in_schema=False)


def _base(signed_in: Any) -> dict[str, Any]:
    return {"user": signed_in.user, "csrf_token": signed_in.csrf_token}


@router.get("/me/progress")
def progress_page(
    permit: Annotated[Permit, requires(Action.CLIENT_READ, own_space=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Your measures as charts in plain words, and questionnaires due."""
    progress = service.my_progress(db, signed_in.user, signed_in.actor, utcnow())
    charts = [
        {
            "summary": m,
            # Markup: chart_svg builds the SVG from numbers and definition files, escaped by
            # the XML serialiser; nothing in it comes from a person's input.
            "svg": Markup(chart_svg(m.trend, width=340, height=220)),  # noqa: S704 - see above
            "id": chart_id(m.trend.instrument_id),
        }
        for m in progress.measures
    ]
    return render(
        request, "me/progress.html", {**_base(signed_in), "charts": charts, "due": progress.due}
    )


@router.get("/me/appointments")
def appointments_page(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ, own_space=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Your upcoming and past appointments."""
    view = service.my_appointments(db, signed_in.user, signed_in.actor, utcnow())
    return render(request, "me/appointments.html", {**_base(signed_in), "view": view})


@router.get("/me/consents")
def consents_page(
    permit: Annotated[Permit, requires(Action.CLIENT_READ, own_space=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Each consent, its text and when you decided; give or withdraw it."""
    states = consents.my_consents(db, signed_in.user, signed_in.actor, utcnow())
    return render(request, "me/consents.html", {**_base(signed_in), "states": states})


@router.post("/me/consents/{purpose}")
def consents_submit(
    permit: Annotated[Permit, requires(Action.CLIENT_READ, own_space=True)],
    purpose: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
    granted: Annotated[str, Form(max_length=5)],
) -> Response:
    """Give (yes) or withdraw (no) one consent."""
    consents.set_my_consent(
        db, signed_in.user, signed_in.actor, purpose, granted == "yes", utcnow()
    )
    return RedirectResponse("/me/consents", status_code=303)


def _data_context(db: DbSession, signed_in: Any, **extra: Any) -> dict[str, Any]:
    return {
        **_base(signed_in),
        "corrections": corrections.my_corrections(db, signed_in.actor),
        "erasures": erasure.my_erasure_requests(db, signed_in.actor),
        "fields": FIELDS,
        "errors": [],
        "certificate_url": None,
        **extra,
    }


@router.get("/me/data")
def data_page(
    permit: Annotated[Permit, requires(Action.CLIENT_EXPORT, own_space=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Download your data; ask for a correction or for erasure."""
    service.own_client_id(signed_in.actor)
    return render(request, "me/data.html", _data_context(db, signed_in))


@router.post("/me/corrections")
def correction_submit(
    permit: Annotated[Permit, requires(Action.CLIENT_READ, own_space=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    field: Annotated[str, Form(max_length=40)],
    value: Annotated[str, Form(max_length=200)],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Ask for a correction of one of your details."""
    try:
        with refusable(db):
            corrections.request_correction(
                db,
                signed_in.user,
                signed_in.actor,
                field=field,
                value=value,
                reason=reason,
                now=utcnow(),
            )
    except AlongsideError as exc:
        if exc.status_code != 422:
            raise
        context = _data_context(db, signed_in, errors=[exc.message])
        return render(request, "me/data.html", context, status_code=422)
    return RedirectResponse("/me/data", status_code=303)


@router.get("/me/notes")
def notes_page(
    permit: Annotated[Permit, requires(Action.CLIENT_READ, own_space=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Your signed notes; ask for a correction of one."""
    notes = service.my_notes(db, signed_in.user, signed_in.actor, utcnow())
    return render(request, "me/notes.html", {**_base(signed_in), "notes": notes, "errors": []})


@router.post("/me/notes/{note_id}/corrections")
def note_correction_submit(
    permit: Annotated[Permit, requires(Action.CLIENT_READ, own_space=True)],
    note_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    value: Annotated[str, Form(max_length=2000)],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Ask for a correction of one of your notes."""
    try:
        with refusable(db):
            corrections.request_correction(
                db,
                signed_in.user,
                signed_in.actor,
                field=corrections.NOTE,
                value=value,
                reason=reason,
                now=utcnow(),
                note_id=parse_id(note_id, corrections.NOT_FOUND),
            )
    except AlongsideError as exc:
        if exc.status_code != 422:
            raise
        notes = service.my_notes(db, signed_in.user, signed_in.actor, utcnow())
        context = {**_base(signed_in), "notes": notes, "errors": [exc.message]}
        return render(request, "me/notes.html", context, status_code=422)
    return RedirectResponse("/me/notes", status_code=303)


@router.post("/me/erasure")
def erasure_submit(
    permit: Annotated[Permit, requires(Action.ERASURE_REQUEST, own_space=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Ask for your record to be erased; shows the certificate link to keep."""
    client_id = service.own_client_id(signed_in.actor)
    _request, token = erasure.request_erasure(
        db, signed_in.user, signed_in.actor, client_id, utcnow()
    )
    context = _data_context(db, signed_in, certificate_url=f"/erasure-certificates/{token}")
    return render(request, "me/data.html", context, status_code=201)


@router.get("/erasure-certificates/{token}")
def certificate_page(
    permit: Annotated[Permit, requires(public=True)], request: Request, token: str, db: DbSession
) -> Response:
    """The erasure request a certificate link opens: its status, then the certificate."""
    found = erasure.certificate_by_token(db, token)
    if not wants_html(request):
        return JSONResponse(
            {
                "status": found.status.value,
                "requested_at": found.requested_at.isoformat(),
                "decided_at": None if found.decided_at is None else found.decided_at.isoformat(),
                "reason": found.decision_reason,
                "certificate": found.certificate,
            }
        )
    return render(request, "me/certificate.html", {"request_row": found})
