"""The administrator's crisis-resources page: country, local services, preview, history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from alongside.db import refusable
from alongside.deps import CurrentSignedIn, DbSession
from alongside.errors import InvalidInput
from alongside.kit.time import utcnow
from alongside.models import User
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action
from alongside.templating import render
from alongside.triage import crisis_admin
from alongside.triage.crisis_resources import country_choices

router = APIRouter(include_in_schema=False)

PAGE = "/admin/crisis-resources"


def _page(
    request: Request,
    db: DbSession,
    user: User,
    csrf_token: str,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    saved: str | None = None,
) -> Response:
    settings = crisis_admin.crisis_settings(db, actor=user)
    context: dict[str, Any] = {
        "user": user,
        "csrf_token": csrf_token,
        "settings": settings,
        "countries": country_choices(),
        "error": error,
        "form": form or {},
        "saved": saved,
    }
    return render(
        request,
        "triage/crisis_resources.html",
        context,
        status_code=422 if error else 200,
    )


@router.get(PAGE)
def crisis_resources_page(
    permit: Annotated[Permit, requires(Action.ORGANIZATION_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The organisation's country, its local services, a preview and who changed what."""
    return _page(
        request,
        db,
        signed_in.user,
        signed_in.csrf_token,
        saved=request.query_params.get("saved"),
    )


@router.post(f"{PAGE}/country")
def crisis_country(
    permit: Annotated[Permit, requires(Action.ORGANIZATION_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    country: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Change the organisation's country (audited)."""
    try:
        with refusable(db):
            crisis_admin.set_country(db, actor=signed_in.user, country=country, now=utcnow())
    except InvalidInput as error:
        return _page(request, db, signed_in.user, signed_in.csrf_token, error=error.message)
    return RedirectResponse(f"{PAGE}?saved=country", status_code=303)


@router.post(f"{PAGE}/services")
def crisis_service_save(
    permit: Annotated[Permit, requires(Action.ORGANIZATION_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    id: Annotated[str, Form(max_length=60)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    contact: Annotated[str, Form(max_length=100)] = "",
    how: Annotated[str, Form(max_length=500)] = "",
    source: Annotated[str, Form(max_length=500)] = "",
    url: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Add a local service, or change the one with the same id (audited)."""
    entry = {
        "id": id.strip(),
        "name": name.strip(),
        "contact": contact.strip(),
        "how": how.strip(),
        "source": source.strip(),
        "url": url.strip(),
    }
    try:
        with refusable(db):
            crisis_admin.save_local_service(db, actor=signed_in.user, entry=entry, now=utcnow())
    except InvalidInput as error:
        return _page(
            request, db, signed_in.user, signed_in.csrf_token, error=error.message, form=entry
        )
    return RedirectResponse(f"{PAGE}?saved=service", status_code=303)


@router.post(PAGE + "/services/{key}/remove")
def crisis_service_remove(
    permit: Annotated[Permit, requires(Action.ORGANIZATION_MANAGE)],
    key: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Remove a local service (audited)."""
    crisis_admin.remove_local_service(db, actor=signed_in.user, key=key[:60], now=utcnow())
    return RedirectResponse(f"{PAGE}?saved=removed", status_code=303)
