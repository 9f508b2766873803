"""The client page staff open from their lists."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from alongside.clients import service
from alongside.deps import CurrentSignedIn, DbSession
from alongside.errors import AlongsideError, NotFound
from alongside.kit.http import page_url
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.measures.pages import client_section
from alongside.models import CareTeam, User
from alongside.notes.pages import STATUS_WORDS
from alongside.notes.pages import client_section as notes_section
from alongside.security.permissions import Action, role_allows
from alongside.security.policy import readable_clients
from alongside.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/clients")
def find_clients(request: Request, db: DbSession, signed_in: CurrentSignedIn) -> Response:
    """Find a client by the start of their names, date of birth or email: those the user may
    see, 50 a page, and for a clinician the few outside their care team they may open in an
    emergency, for a reason."""
    user = signed_in.user
    if not user.is_staff or not role_allows(signed_in.actor.role, Action.CLIENT_LIST):
        raise NotFound("There is nothing at this address.")
    params = request.query_params
    q = (params.get("q") or "").strip()[:200]
    now = utcnow()
    context: dict[str, object] = {
        "user": user,
        "csrf_token": signed_in.csrf_token,
        "q": q,
        "clients": [],
        "outside": [],
        "more_outside": False,
        "error": None,
        "next_url": None,
        "first_url": None,
        "care_team_only": readable_clients(signed_in.actor).client_ids is not None,
    }
    try:
        page = service.list_readable_clients(
            db, user, signed_in.actor, now, cursor=params.get("cursor") or None, q=q or None
        )
        outside, more = service.find_outside_care_team(db, user, signed_in.actor, q, now)
    except AlongsideError as exc:
        message = exc.message.removeprefix("q: ")
        context["error"] = message[:1].upper() + message[1:]
        return render(request, "clients/search.html", context, status_code=exc.status_code)
    context.update(
        clients=page.items,
        outside=outside,
        more_outside=more,
        next_url=page_url(request, page.next) if page.next else None,
        first_url=page_url(request, None) if params.get("cursor") else None,
    )
    return render(request, "clients/search.html", context)


@router.get("/clients/{client_id}")
def client_page(
    client_id: str, request: Request, db: DbSession, signed_in: CurrentSignedIn
) -> Response:
    """A client's identity, contact details and care team (audited like every read)."""
    parsed = parse_id(client_id, service.NOT_FOUND)
    now = utcnow()
    client = service.get_readable_client(db, signed_in.user, signed_in.actor, parsed, now)
    team = db.execute(
        select(User.display_name, CareTeam.team_role)
        .join(CareTeam, CareTeam.clinician_id == User.id)
        .where(CareTeam.client_id == client.id)
        .order_by(User.display_name)
    ).all()
    measures = client_section(db, signed_in, client, now)
    notes = notes_section(db, signed_in, client, now)
    emergency = (
        client.id in signed_in.actor.break_glass_client_ids
        and client.id not in signed_in.actor.care_team_client_ids
    )
    return render(
        request,
        "clients/page.html",
        {
            "user": signed_in.user,
            "csrf_token": signed_in.csrf_token,
            "client": client,
            "team": team,
            "emergency": emergency,
            "measures": measures,
            "notes_section": notes,
            "status_words": STATUS_WORDS,
        },
    )
