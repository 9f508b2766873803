"""Staff pages for the client's rights: erasure requests (the clinical lead decides, the
retention rules in view), records past retention, and corrections to decide. Forms work
without JavaScript (post, then a 303 redirect).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from alongside.db import refusable
from alongside.deps import CurrentSignedIn, DbSession
from alongside.errors import AlongsideError, NotFound
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.models import Client, Note, Organization
from alongside.privacy import corrections, erasure, retention
from alongside.privacy.corrections import FIELDS
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action, role_allows
from alongside.security.policy import Resource, can
from alongside.templating import render

router = APIRouter(include_in_schema=False)


def _context(db: DbSession, signed_in: Any, **extra: Any) -> dict[str, Any]:
    actor = signed_in.actor
    now = utcnow()
    lead = can(actor, Action.CLIENT_ERASE, Resource(actor.organization_id, uuid.UUID(int=0)))
    requests = []
    past: list[retention.PastRetention] = []
    rules: list[retention.RuleView] = []
    if lead:
        organization = db.get_one(Organization, actor.organization_id)
        rules = retention.retention_rules(db, organization)
        for row in erasure.pending_requests(db, actor):
            _row, view = erasure.request_for_decision(db, actor, row.id)
            requests.append({"row": row, "view": view})
        past = retention.past_retention(db, organization, now)
    if not lead and not role_allows(actor.role, Action.CLIENT_WRITE):
        # Nothing here for this role: the page reads like one that does not exist.
        raise NotFound(erasure.NOT_FOUND)
    pending = corrections.pending_corrections(db, signed_in.user, actor, now)
    # Whose record each request is about, and which note: staff who may decide may read both.
    client_names = {
        row.id: row.display_name
        for row in db.scalars(select(Client).where(Client.id.in_({c.client_id for c in pending})))
    }
    notes = {
        row.id: row
        for row in db.scalars(
            select(Note).where(Note.id.in_({c.note_id for c in pending if c.note_id}))
        )
    }
    return {
        "user": signed_in.user,
        "csrf_token": signed_in.csrf_token,
        "lead": lead,
        "requests": requests,
        "past": past,
        "rules": rules,
        "corrections": pending,
        "client_names": client_names,
        "notes": notes,
        "fields": FIELDS,
        "now": now,
        "errors": [],
        **extra,
    }


@router.get("/privacy")
def privacy_page(
    permit: Annotated[Permit, requires(Action.CLIENT_ERASE, Action.CLIENT_WRITE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Erasure requests and corrections waiting for a decision; records past retention."""
    return render(request, "privacy/page.html", _context(db, signed_in))


@router.post("/privacy/erasure-requests/{request_id}/decision")
def erasure_decision(
    permit: Annotated[Permit, requires(Action.CLIENT_ERASE)],
    request: Request,
    request_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
    decision: Annotated[str, Form(max_length=10)],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Approve (erase now) or decline an erasure request, with a reason."""
    try:
        with refusable(db):
            erasure.decide_erasure(
                db,
                signed_in.user,
                signed_in.actor,
                parse_id(request_id, erasure.NOT_FOUND),
                approve=decision == "approved",
                reason=reason,
                now=utcnow(),
            )
    except AlongsideError as exc:
        if exc.status_code not in (409, 422):
            raise
        return render(
            request,
            "privacy/page.html",
            _context(db, signed_in, errors=[exc.message]),
            status_code=exc.status_code,
        )
    return RedirectResponse("/privacy", status_code=303)


@router.post("/privacy/corrections/{request_id}/decision")
def correction_decision(
    permit: Annotated[Permit, requires(Action.CLIENT_WRITE, Action.NOTE_WRITE)],
    request: Request,
    request_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
    decision: Annotated[str, Form(max_length=10)],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Accept or decline a correction, with a reason."""
    try:
        with refusable(db):
            corrections.decide_correction(
                db,
                signed_in.user,
                signed_in.actor,
                parse_id(request_id, erasure.NOT_FOUND),
                accept=decision == "accepted",
                reason=reason,
                now=utcnow(),
            )
    except AlongsideError as exc:
        if exc.status_code not in (409, 422):
            raise
        return render(
            request,
            "privacy/page.html",
            _context(db, signed_in, errors=[exc.message]),
            status_code=exc.status_code,
        )
    return RedirectResponse("/privacy", status_code=303)
