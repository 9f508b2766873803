"""The client page staff open from their lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.clients import service, timeline
from alongside.clients.timeline import CONSENT_PURPOSE_WORDS
from alongside.clients.timeline_pdf import timeline_pdf
from alongside.db import refusable
from alongside.deps import CurrentSignedIn, DbSession, SignedIn
from alongside.errors import AlongsideError, InvalidInput, NotFound
from alongside.kit.http import page_url
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.measures.pages import client_section
from alongside.models import CareTeam, Client, Organization, User
from alongside.notes.pages import STATUS_WORDS
from alongside.notes.pages import client_section as notes_section
from alongside.scheduling.vocabulary import LANGUAGES
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action, role_allows
from alongside.security.policy import Resource, can, readable_clients
from alongside.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/clients")
def find_clients(
    permit: Annotated[Permit, requires(Action.CLIENT_LIST)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
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
        with refusable(db):
            page = service.list_readable_clients(
                db, user, signed_in.actor, now, cursor=params.get("cursor") or None, q=q or None
            )
            outside, more = service.find_outside_care_team(db, user, signed_in.actor, q, now)
    except AlongsideError as exc:
        context["error"] = search_problem(exc)
        return render(request, "clients/search.html", context, status_code=exc.status_code)
    context.update(
        clients=page.items,
        outside=outside,
        more_outside=more,
        next_url=page_url(request, page.next) if page.next else None,
        first_url=page_url(request, None) if params.get("cursor") else None,
    )
    return render(request, "clients/search.html", context)


def search_problem(exc: AlongsideError) -> str:
    """What was wrong with a client search, in words for the box it was typed in (the API's
    message names its field, ``q``)."""
    message = exc.message.removeprefix("q: ")
    return message[:1].upper() + message[1:]


# A form that needs one client lists this many matches; more means "type more of the name".
CHOOSER_LIMIT = 10


@dataclass(frozen=True)
class ClientChoice:
    """What a form that needs one existing client shows: the search typed, the clients it
    found (those the user may see), whether there were more, the client already chosen and
    a search problem in words."""

    q: str
    found: list[Client]
    more: bool
    chosen: Client | None
    error: str | None


def client_chooser(db: Session, signed_in: SignedIn, q: str, chosen_id: str) -> ClientChoice:
    """Search for one client to choose in a form (the same search as *Find a client*: name
    prefix, date of birth or exact email, only clients the user may see, audited), keeping
    the client already chosen; a form works without JavaScript by searching with a GET that
    shows the page again with the results to choose from."""
    q = q.strip()[:200]
    now = utcnow()
    chosen: Client | None = None
    if chosen_id.strip():
        try:
            with refusable(db):
                chosen = service.get_readable_client(
                    db,
                    signed_in.user,
                    signed_in.actor,
                    parse_id(chosen_id.strip(), service.NOT_FOUND),
                    now,
                )
        except NotFound:
            chosen = None  # gone or not theirs: the form offers no choice of it
    if not q:
        return ClientChoice(q=q, found=[], more=False, chosen=chosen, error=None)
    try:
        with refusable(db):
            page = service.list_readable_clients(
                db, signed_in.user, signed_in.actor, now, limit=CHOOSER_LIMIT, q=q
            )
    except AlongsideError as exc:
        return ClientChoice(q=q, found=[], more=False, chosen=chosen, error=search_problem(exc))
    found = [c for c in page.items if c.status != "erased"]
    return ClientChoice(q=q, found=found, more=page.next is not None, chosen=chosen, error=None)


def organisation_zone(db: Session, organization_id: object) -> str:
    """The clinic's time zone name, for showing times."""
    organization = db.get(Organization, organization_id)
    return organization.timezone if organization is not None and organization.timezone else "UTC"


def _client_page(
    request: Request,
    db: Session,
    signed_in: SignedIn,
    client_id: str,
    *,
    error: str | None = None,
    saved: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
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
    actor = signed_in.actor
    resource = Resource(organization_id=client.organization_id, client_id=client.id)
    emergency = (
        client.id in actor.break_glass_client_ids and client.id not in actor.care_team_client_ids
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
            "can_read_clinical": can(actor, Action.CLINICAL_READ, resource),
            "can_write": can(actor, Action.CLIENT_WRITE, resource) and client.status != "erased",
            "consents": service.latest_consents(db, client),
            "consent_words": CONSENT_PURPOSE_WORDS,
            "languages": sorted(LANGUAGES.items(), key=lambda item: item[1].label),
            "org_zone": organisation_zone(db, client.organization_id),
            "detail_error": error,
            "detail_saved": saved,
            "form": form,
        },
        status_code=status_code,
    )


@router.get("/clients/{client_id}")
def client_page(
    permit: Annotated[Permit, requires(Action.CLIENT_READ)],
    client_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """A client's identity, contact details, care team and consents, with their timeline and
    measures one link away (audited like every read)."""
    saved = request.query_params.get("saved")
    return _client_page(request, db, signed_in, client_id, saved=saved)


@router.post("/clients/{client_id}/details")
def client_details_save(
    permit: Annotated[Permit, requires(Action.CLIENT_WRITE)],
    client_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    given_name: Annotated[str, Form(max_length=400)] = "",
    family_name: Annotated[str, Form(max_length=400)] = "",
    email: Annotated[str, Form(max_length=400)] = "",
    phone: Annotated[str, Form(max_length=400)] = "",
    date_of_birth: Annotated[str, Form(max_length=40)] = "",
    preferred_language: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Correct the client's details (staff who may write the record; audited)."""
    parsed = parse_id(client_id, service.NOT_FOUND)
    values = {
        "given_name": given_name,
        "family_name": family_name,
        "email": email,
        "phone": phone,
        "date_of_birth": date_of_birth,
        "preferred_language": preferred_language,
    }
    try:
        with refusable(db):
            changed = service.update_details(
                db,
                signed_in.user,
                signed_in.actor,
                parsed,
                dict(values),
                utcnow(),
                languages=set(LANGUAGES),
            )
    except InvalidInput as exc:
        return _client_page(
            request,
            db,
            signed_in,
            client_id,
            error=exc.message,
            form=values,
            status_code=exc.status_code,
        )
    return RedirectResponse(
        f"/clients/{parsed}?saved={len(changed)}#details-heading", status_code=303
    )


def _timeline_kinds(request: Request) -> list[str]:
    return [k for k in request.query_params.getlist("show") if k in timeline.KINDS]


@router.get("/clients/{client_id}/timeline")
def timeline_page(
    permit: Annotated[Permit, requires(Action.CLINICAL_READ)],
    client_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The client's story, newest first, grouped by day (care team or emergency access)."""
    parsed = parse_id(client_id, service.NOT_FOUND)
    story = timeline.client_timeline(
        db, signed_in.user, signed_in.actor, parsed, utcnow(), kinds=_timeline_kinds(request)
    )
    return render(
        request,
        "clients/timeline.html",
        {
            "user": signed_in.user,
            "csrf_token": signed_in.csrf_token,
            "client": story.client,
            "timeline": story,
            "kinds": timeline.KINDS,
            "pdf_query": request.url.query,
        },
    )


@router.get("/clients/{client_id}/timeline.pdf")
def timeline_pdf_download(
    permit: Annotated[Permit, requires(Action.CLINICAL_READ)],
    client_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The same timeline as a PDF for the paper record (audited as a read of the timeline)."""
    parsed = parse_id(client_id, service.NOT_FOUND)
    now = utcnow()
    story = timeline.client_timeline(
        db, signed_in.user, signed_in.actor, parsed, now, kinds=_timeline_kinds(request)
    )
    body = timeline_pdf(story, now, signed_in.user.display_name)
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'attachment; filename="timeline.pdf"',
            "Cache-Control": "no-store",
        },
    )
