"""The client's access-log page: who looked at their record, in plain language."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from alongside.audit import service
from alongside.deps import CurrentSignedIn, DbSession
from alongside.kit.time import utcnow
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action
from alongside.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50


@router.get("/me/access-log")
def access_log_page(
    permit: Annotated[Permit, requires(Action.ACCESS_LOG_READ, own_space=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    own: Annotated[bool, Query()] = False,
) -> Response:
    """The signed-in client's access log, newest first, fifty to a page."""
    log = service.client_access_log(
        db,
        signed_in.user,
        include_own=own,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
        now=utcnow(),
    )
    return render(
        request,
        "audit/access_log.html",
        {
            "user": signed_in.user,
            "csrf_token": signed_in.csrf_token,
            "log": log,
            "zone": ZoneInfo(log.timezone),
            "page": page,
            "has_newer": page > 1,
            "has_older": log.offset + len(log.entries) < log.total,
        },
    )
