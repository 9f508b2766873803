"""The client page staff open from their lists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from alongside.clients import service
from alongside.deps import CurrentSignedIn, DbSession
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.measures.pages import client_section
from alongside.models import CareTeam, User
from alongside.notes.pages import STATUS_WORDS
from alongside.notes.pages import client_section as notes_section
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action
from alongside.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/clients/{client_id}")
def client_page(
    permit: Annotated[Permit, requires(Action.CLIENT_READ)],
    client_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
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
