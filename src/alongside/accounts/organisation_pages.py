"""The administrator's page for the organisation itself: its name and time zone.

The country (which decides the crisis services a client is shown) is changed on the crisis
resources page, next to the services it brings. 404 for anyone without ``organization.manage``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from alongside.accounts import organisation
from alongside.db import refusable
from alongside.deps import CurrentSignedIn, DbSession, SignedIn
from alongside.errors import AlongsideError, NotFound
from alongside.kit.time import utcnow
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action
from alongside.templating import render
from alongside.triage.crisis_resources import country_choices

router = APIRouter(include_in_schema=False)
PAGE = "/admin/organisation"


def _page(
    request: Request,
    db: DbSession,
    signed_in: SignedIn,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = organisation.details(db, signed_in.actor)
    countries = dict(country_choices())
    context = {
        "user": signed_in.user,
        "csrf_token": signed_in.csrf_token,
        "organisation": found,
        "country_name": countries.get(found.country, found.country),
        "zones": organisation.time_zones(),
        "form": form or {"name": found.name, "timezone": found.timezone},
        "error": error,
        "saved": request.query_params.get("saved"),
    }
    return render(request, "accounts/admin_organisation.html", context, status_code=status_code)


@router.get(PAGE)
def organisation_page(
    permit: Annotated[Permit, requires(Action.ORGANIZATION_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The organisation's name, time zone and country."""
    return _page(request, db, signed_in)


@router.post(PAGE)
def change_organisation(
    permit: Annotated[Permit, requires(Action.ORGANIZATION_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    name: Annotated[str, Form(max_length=200)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Rename the organisation or change its time zone (audited)."""
    try:
        with refusable(db):
            organisation.change_details(
                db,
                by=signed_in.user,
                actor=signed_in.actor,
                name=name,
                timezone=timezone,
                now=utcnow(),
            )
    except AlongsideError as exc:
        if isinstance(exc, NotFound):
            raise
        form = {"name": name, "timezone": timezone}
        return _page(request, db, signed_in, error=exc.message, form=form, status_code=422)
    return RedirectResponse(f"{PAGE}?saved=1", status_code=303)
