"""The client's access-log page: who looked at their record, in plain language."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.audit import service
from alongside.clients.service import list_readable_clients, names_of_readable_clients
from alongside.db import refusable
from alongside.deps import CurrentSignedIn, DbSession, SignedIn
from alongside.errors import AlongsideError, InvalidInput
from alongside.kit.http import page_url
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.models import Organization, Role, User
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action, role_allows
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


ACTION_WORDS = {
    "read": "Viewed",
    "list": "Listed",
    "search": "Searched",
    "export": "Exported",
    "create": "Added",
    "update": "Changed",
    "delete": "Removed",
    "decide": "Decided",
    "sign": "Signed",
    "erase": "Erased",
    "break_glass": "Emergency access",
    "sign_in": "Signed in",
    "sign_out": "Signed out",
    "refused": "Refused",
}
ROLE_WORDS = {
    "client": "client",
    "clinician": "clinician",
    "coordinator": "intake coordinator",
    "clinical_lead": "clinical lead",
    "admin": "administrator",
    "system": "automatic",
}


def _day(text: str | None, label: str, zone: ZoneInfo) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), time(0), tzinfo=zone)
    except ValueError:
        raise InvalidInput(f"{label}: choose a date, such as 2030-01-07.") from None


@router.get("/audit")
def audit_viewer(
    permit: Annotated[Permit, requires(Action.AUDIT_READ)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The clinical lead's audit viewer: the organisation's events filtered by client, person,
    action and dates, newest first, 50 a page (the viewing is itself audited)."""
    params = request.query_params
    zone = ZoneInfo(str(_zone_name(db, signed_in)))
    now = utcnow()
    staff = db.execute(
        select(User.id, User.display_name, User.role)
        .where(User.organization_id == signed_in.user.organization_id)
        .where(User.role != Role.CLIENT)
        .order_by(User.display_name)
    ).all()
    form = {k: params.get(k, "") for k in ("client", "user", "action", "from", "to")}
    context: dict[str, object] = {
        "user": signed_in.user,
        "csrf_token": signed_in.csrf_token,
        "form": form,
        "staff": staff,
        "actions": ACTION_WORDS,
        "role_words": ROLE_WORDS,
        "events": [],
        "client_names": {},
        "error": None,
        "next_url": None,
        "first_url": None,
        "verified": None,
    }
    try:
        with refusable(db):
            client_ids = None
            if form["client"].strip():
                found = list_readable_clients(
                    db, signed_in.user, signed_in.actor, now, q=form["client"], limit=200
                )
                client_ids = frozenset(c.id for c in found.items)
            actor_id = (
                parse_id(form["user"], "Choose a person from the list.") if form["user"] else None
            )
            action = form["action"] or None
            if action is not None and action not in ACTION_WORDS:
                raise InvalidInput("Action: choose one from the list.")
            since = _day(form["from"], "From", zone)
            until = _day(form["to"], "To", zone)
            page = service.search_events(
                db,
                signed_in.user,
                client_id=None,
                client_ids=client_ids,
                actor_id=actor_id,
                action=action,
                since=since,
                until=until + timedelta(days=1) if until is not None else None,
                cursor=params.get("cursor") or None,
                now=now,
            )
    except AlongsideError as exc:
        context["error"] = exc.message
        return render(request, "audit/viewer.html", context, status_code=exc.status_code)
    ids = {e.client_id for e in page.items if e.client_id is not None}
    context.update(
        events=page.items,
        client_names=names_of_readable_clients(db, signed_in.user, signed_in.actor, ids, now),
        next_url=page_url(request, page.next) if page.next else None,
        first_url=page_url(request, None) if params.get("cursor") else None,
        may_verify=role_allows(signed_in.actor.role, Action.AUDIT_VERIFY),
    )
    return render(request, "audit/viewer.html", context)


@router.post("/audit/verify")
def audit_verify(
    permit: Annotated[Permit, requires(Action.AUDIT_VERIFY)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Check the hash chain of the sealed audit log and show the result (the lead and the
    administrator; the worker seals new events every few seconds)."""
    result = service.verify_stored_chain(db)
    waiting = service.count_unsealed(db)
    return render(
        request,
        "audit/verified.html",
        {
            "user": signed_in.user,
            "csrf_token": signed_in.csrf_token,
            "result": result,
            "waiting": waiting,
            "checked_at": utcnow(),
        },
    )


def _zone_name(db: Session, signed_in: SignedIn) -> str:
    # A user's organisation is a required foreign key (deleted with it): always there.
    organization = db.get_one(Organization, signed_in.user.organization_id)
    return organization.timezone or "UTC"
