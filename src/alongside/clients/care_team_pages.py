"""The clinical lead's pages for care teams: who cares for each client, and changing it."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from alongside.clients import care_team
from alongside.clients.service import list_readable_clients
from alongside.db import refusable
from alongside.deps import CurrentSignedIn, DbSession, SignedIn
from alongside.errors import AlongsideError, NotFound
from alongside.kit.http import page_url
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.models import CareTeam, User
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action
from alongside.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/care-teams")
def care_teams(
    permit: Annotated[Permit, requires(Action.CARE_TEAM_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Every client of the organisation with the clinicians on their care team."""
    care_team.require_care_team_manage(signed_in.actor)
    page = list_readable_clients(
        db,
        signed_in.user,
        signed_in.actor,
        utcnow(),
        cursor=request.query_params.get("cursor") or None,
        q=request.query_params.get("q") or None,
    )
    clients = page.items
    teams: dict[uuid.UUID, list[str]] = defaultdict(list)
    rows = db.execute(
        select(CareTeam.client_id, User.display_name)
        .join(User, User.id == CareTeam.clinician_id)
        .where(CareTeam.organization_id == signed_in.actor.organization_id)
        .order_by(User.display_name)
    )
    for client_id, name in rows:
        teams[client_id].append(name)
    context = {
        "user": signed_in.user,
        "csrf_token": signed_in.csrf_token,
        "clients": clients,
        "teams": teams,
        "next_url": page_url(request, page.next) if page.next else None,
    }
    return render(request, "clients/care_teams.html", context)


def _page(
    request: Request,
    db: DbSession,
    signed_in: SignedIn,
    client_id: uuid.UUID,
    *,
    error: str | None = None,
    reason: str = "",
    status_code: int = 200,
) -> Response:
    view = care_team.care_team(
        db, user=signed_in.user, actor=signed_in.actor, client_id=client_id, now=utcnow()
    )
    context: dict[str, Any] = {
        "user": signed_in.user,
        "csrf_token": signed_in.csrf_token,
        "view": view,
        "error": error,
        "reason": reason,
        "done": request.query_params.get("done"),
    }
    return render(request, "clients/care_team.html", context, status_code=status_code)


@router.get("/care-teams/{client_id}")
def care_team_page(
    permit: Annotated[Permit, requires(Action.CARE_TEAM_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    client_id: str,
) -> Response:
    """One client's care team, who could join, and the changes with their reasons."""
    care_team.require_care_team_manage(signed_in.actor)
    return _page(request, db, signed_in, parse_id(client_id, care_team.NOT_FOUND))


@router.post("/care-teams/{client_id}/{change}")
def change_care_team(
    permit: Annotated[Permit, requires(Action.CARE_TEAM_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    client_id: str,
    change: str,
    clinician_id: Annotated[str, Form(max_length=64)],
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    """Add a clinician to the care team or remove one, with the reason."""
    care_team.require_care_team_manage(signed_in.actor)
    if change not in ("add", "remove"):
        raise NotFound(care_team.NOT_FOUND)
    parsed = parse_id(client_id, care_team.NOT_FOUND)
    try:
        clinician = uuid.UUID(clinician_id)
    except ValueError:
        return _page(
            request,
            db,
            signed_in,
            parsed,
            error="Choose a clinician from the list.",
            reason=reason,
            status_code=422,
        )
    action = care_team.add_to_care_team if change == "add" else care_team.remove_from_care_team
    try:
        with refusable(db):
            action(
                db,
                user=signed_in.user,
                actor=signed_in.actor,
                client_id=parsed,
                clinician_id=clinician,
                reason=reason,
                now=utcnow(),
            )
    except AlongsideError as exc:
        if isinstance(exc, NotFound):
            raise
        return _page(
            request, db, signed_in, parsed, error=exc.message, reason=reason, status_code=422
        )
    done = "added" if change == "add" else "removed"
    return RedirectResponse(f"/care-teams/{parsed}?done={done}", status_code=303)
