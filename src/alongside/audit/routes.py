"""Audit API: FHIR AuditEvent export for the clinical lead, and a client's own access log.

What the actor may not use answers 404 exactly like an address that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from alongside.audit import service
from alongside.audit.fhir import audit_event_bundle
from alongside.audit.schemas import AccessLogEntryRead, AccessLogRead
from alongside.deps import CurrentSignedIn, DbSession
from alongside.kit.http import page_url
from alongside.kit.time import utcnow
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action

router = APIRouter(tags=["audit"])

FHIR_JSON = "application/fhir+json"


@router.get("/api/audit/events", response_class=JSONResponse)
def audit_events(
    permit: Annotated[Permit, requires(Action.AUDIT_READ, audited_as="audit_event")],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    client_id: Annotated[
        uuid.UUID | None, Query(description="Only events about this client.")
    ] = None,
    limit: Annotated[
        int | None, Query(description="Events per page (1-200, 50), newest first.")
    ] = None,
    cursor: Annotated[str | None, Query(description="From the Bundle's `next` link.")] = None,
) -> JSONResponse:
    """The organisation's audit events as a FHIR Bundle of AuditEvent (``audit.read``), a page
    at a time: the Bundle's ``link`` with relation ``next`` continues it (FHIR paging)."""
    page = service.search_events(
        db, signed_in.user, client_id=client_id, limit=limit, cursor=cursor, now=utcnow()
    )
    bundle = audit_event_bundle(page.items)
    if page.next is not None:
        bundle["link"] = [{"relation": "next", "url": page_url(request, page.next)}]
    return JSONResponse(bundle, media_type=FHIR_JSON)


@router.get("/api/me/access-log", response_model=AccessLogRead)
def my_access_log(
    permit: Annotated[Permit, requires(Action.ACCESS_LOG_READ, own_space=True)],
    db: DbSession,
    signed_in: CurrentSignedIn,
    include_own: Annotated[
        bool, Query(description="Also list your own actions on your record.")
    ] = False,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AccessLogRead:
    """Who looked at your record: name and role, when, what and why (clients only)."""
    log = service.client_access_log(
        db, signed_in.user, include_own=include_own, offset=offset, limit=limit, now=utcnow()
    )
    return AccessLogRead(
        entries=[AccessLogEntryRead.model_validate(entry) for entry in log.entries],
        total=log.total,
        offset=log.offset,
        limit=log.limit,
        include_own=log.include_own,
    )
