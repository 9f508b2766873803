"""The administrator's pages for running the service: staff accounts and invitations, the
on-call rota, sites; and the clinical lead's decisions on second-factor resets an
administrator asked for.

Every route checks the role first (404 for anyone else) and calls the same services as the
command line; each change is audited there.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from alongside.accounts import invitations, organisation, second_factor_resets, service
from alongside.db import refusable
from alongside.deps import CurrentSignedIn, DbSession, SignedIn
from alongside.errors import AlongsideError, NotFound
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.models import ResetStatus, Role
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action
from alongside.templating import render

router = APIRouter(include_in_schema=False)

# The staff roles in the words the clinic uses, in the order the form offers them.
ROLE_NAMES: dict[Role, str] = invitations.ROLE_WORDS


def _base(signed_in: SignedIn) -> dict[str, Any]:
    return {
        "user": signed_in.user,
        "csrf_token": signed_in.csrf_token,
        "role_names": ROLE_NAMES,
    }


def _users_page(
    request: Request,
    db: DbSession,
    signed_in: SignedIn,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    now = utcnow()
    resets = second_factor_resets.recent(db, signed_in.actor.organization_id)
    context = {
        **_base(signed_in),
        "staff": service.organisation_staff(db, signed_in.actor.organization_id),
        "invitations": invitations.organisation_invitations(db, signed_in.actor, now),
        "resets": resets,
        "reset_waiting": {
            row.reset.user_id for row in resets if row.reset.status is ResetStatus.WAITING
        },
        "lifetime_days": invitations.LIFETIME.days,
        "error": error,
        "form": form or {},
        "done": request.query_params.get("done"),
    }
    return render(request, "accounts/admin_users.html", context, status_code=status_code)


@router.get("/admin/users")
def users_page(
    permit: Annotated[Permit, requires(Action.USER_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Staff accounts: invite someone with a role, change a role, disable an account, ask for
    a second-factor reset."""
    service.require_user_manage(signed_in.actor)
    return _users_page(request, db, signed_in)


def _link_base(request: Request) -> str:
    # The clinic's configured address, never the request's Host header: anyone could put any
    # address there, and this link goes into an email.
    return str(request.app.state.settings.effective_public_url)


@router.post("/admin/invitations")
def invite(
    permit: Annotated[Permit, requires(Action.USER_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    email: Annotated[str, Form(max_length=254)],
    display_name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=20)],
) -> Response:
    """Invite a colleague: they get an email with a link to choose their own password."""
    service.require_user_manage(signed_in.actor)
    try:
        with refusable(db):
            sent = invitations.invite(
                db,
                actor=signed_in.actor,
                by=signed_in.user,
                email=email,
                display_name=display_name,
                role=invitations.staff_role(role),
                link_base=_link_base(request),
                now=utcnow(),
            )
    except AlongsideError as exc:
        if isinstance(exc, NotFound):
            raise
        form = {"email": email, "display_name": display_name, "role": role}
        return _users_page(
            request, db, signed_in, error=exc.message, form=form, status_code=exc.status_code
        )
    return RedirectResponse(f"/admin/users?done=invited#invitation-{sent.id}", status_code=303)


def _invitation_id(value: str) -> uuid.UUID:
    parsed: uuid.UUID = parse_id(value, invitations.NOT_FOUND)
    return parsed


@router.post("/admin/invitations/{invitation_id}/send-again")
def send_invitation_again(
    permit: Annotated[Permit, requires(Action.USER_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    invitation_id: str,
) -> Response:
    """Email the invitation again with a new link and a new expiry (the old link stops)."""
    service.require_user_manage(signed_in.actor)
    try:
        with refusable(db):
            invitations.send_again(
                db,
                actor=signed_in.actor,
                by=signed_in.user,
                invitation_id=_invitation_id(invitation_id),
                link_base=_link_base(request),
                now=utcnow(),
            )
    except AlongsideError as exc:
        if isinstance(exc, NotFound):
            raise
        return _users_page(request, db, signed_in, error=exc.message, status_code=exc.status_code)
    return RedirectResponse("/admin/users?done=sent-again#invitations-heading", status_code=303)


@router.post("/admin/invitations/{invitation_id}/withdraw")
def withdraw_invitation(
    permit: Annotated[Permit, requires(Action.USER_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    invitation_id: str,
) -> Response:
    """Withdraw an invitation; its link stops working."""
    service.require_user_manage(signed_in.actor)
    try:
        with refusable(db):
            invitations.withdraw(
                db,
                actor=signed_in.actor,
                by=signed_in.user,
                invitation_id=_invitation_id(invitation_id),
                now=utcnow(),
            )
    except AlongsideError as exc:
        if isinstance(exc, NotFound):
            raise
        return _users_page(request, db, signed_in, error=exc.message, status_code=exc.status_code)
    return RedirectResponse("/admin/users?done=withdrawn#invitations-heading", status_code=303)


def _target(db: DbSession, signed_in: SignedIn, user_id: str) -> Any:
    service.require_user_manage(signed_in.actor)
    parsed: uuid.UUID = parse_id(user_id, service.USER_NOT_FOUND)
    return service.staff_member(db, signed_in.actor.organization_id, parsed)


@router.post("/admin/users/{user_id}/role")
def change_role(
    permit: Annotated[Permit, requires(Action.USER_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    user_id: str,
    role: Annotated[str, Form(max_length=20)],
) -> Response:
    """Give a staff member another role; they are signed out so it applies at once."""
    target = _target(db, signed_in, user_id)
    try:
        with refusable(db):
            service.change_role(
                db, target, invitations.staff_role(role), by=signed_in.user, now=utcnow()
            )
    except AlongsideError as exc:
        if isinstance(exc, NotFound):
            raise
        return _users_page(request, db, signed_in, error=exc.message, status_code=422)
    return RedirectResponse("/admin/users?done=role", status_code=303)


@router.post("/admin/users/{user_id}/disable")
def disable_user(
    permit: Annotated[Permit, requires(Action.USER_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    user_id: str,
) -> Response:
    """Disable an account; the person is signed out everywhere."""
    target = _target(db, signed_in, user_id)
    try:
        with refusable(db):
            service.disable_user(db, target, by=signed_in.user, now=utcnow())
    except AlongsideError as exc:
        if isinstance(exc, NotFound):
            raise
        return _users_page(request, db, signed_in, error=exc.message, status_code=422)
    return RedirectResponse("/admin/users?done=disabled", status_code=303)


@router.post("/admin/users/{user_id}/second-factor-reset")
def ask_for_reset(
    permit: Annotated[Permit, requires(Action.USER_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    user_id: str,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Ask a clinical lead to approve resetting a colleague's second factor (with a reason)."""
    target = _target(db, signed_in, user_id)
    try:
        with refusable(db):
            second_factor_resets.request_reset(
                db,
                actor=signed_in.actor,
                by=signed_in.user,
                user_id=target.id,
                reason=reason,
                link_base=_link_base(request),
                now=utcnow(),
            )
    except AlongsideError as exc:
        if isinstance(exc, NotFound):
            raise
        return _users_page(request, db, signed_in, error=exc.message, status_code=exc.status_code)
    return RedirectResponse("/admin/users?done=reset-asked#resets-heading", status_code=303)


# --- The clinical lead's decisions on second-factor resets --------------------------------


def _resets_page(
    request: Request,
    db: DbSession,
    signed_in: SignedIn,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        **_base(signed_in),
        "waiting": second_factor_resets.waiting_for_decision(db, signed_in.actor),
        "recent": [
            row
            for row in second_factor_resets.recent(db, signed_in.actor.organization_id)
            if row.reset.status is not ResetStatus.WAITING
        ],
        "error": error,
        "done": request.query_params.get("done"),
    }
    return render(request, "accounts/second_factor_resets.html", context, status_code=status_code)


@router.get("/second-factor-resets")
def resets_page(
    permit: Annotated[Permit, requires(Action.SECOND_FACTOR_RESET_DECIDE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Requests to reset a colleague's second factor, waiting for a clinical lead."""
    return _resets_page(request, db, signed_in)


def _decide(
    request: Request, db: DbSession, signed_in: SignedIn, reset_id: str, *, approve: bool
) -> Response:
    parsed: uuid.UUID = parse_id(reset_id, second_factor_resets.NOT_FOUND)
    try:
        with refusable(db):
            second_factor_resets.decide(
                db,
                actor=signed_in.actor,
                by=signed_in.user,
                reset_id=parsed,
                approve=approve,
                now=utcnow(),
            )
    except AlongsideError as exc:
        if isinstance(exc, NotFound):
            raise
        return _resets_page(request, db, signed_in, error=exc.message, status_code=exc.status_code)
    done = "approved" if approve else "declined"
    return RedirectResponse(f"/second-factor-resets?done={done}", status_code=303)


@router.post("/second-factor-resets/{reset_id}/approve")
def approve_reset(
    permit: Annotated[Permit, requires(Action.SECOND_FACTOR_RESET_DECIDE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    reset_id: str,
) -> Response:
    """Approve: the person's second factor is removed and they set a new one at sign-in."""
    return _decide(request, db, signed_in, reset_id, approve=True)


@router.post("/second-factor-resets/{reset_id}/decline")
def decline_reset(
    permit: Annotated[Permit, requires(Action.SECOND_FACTOR_RESET_DECIDE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    reset_id: str,
) -> Response:
    """Decline: nothing changes for the person."""
    return _decide(request, db, signed_in, reset_id, approve=False)


def _on_call_page(
    request: Request,
    db: DbSession,
    signed_in: SignedIn,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        **_base(signed_in),
        "rota": organisation.on_call(db, signed_in.actor),
        "error": error,
        "saved": request.query_params.get("saved"),
    }
    return render(request, "accounts/admin_on_call.html", context, status_code=status_code)


@router.get("/admin/on-call")
def on_call_page(
    permit: Annotated[Permit, requires(Action.USER_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Who is alerted first for a crisis, who comes next, and after how many minutes."""
    return _on_call_page(request, db, signed_in)


@router.post("/admin/on-call")
def save_on_call(
    permit: Annotated[Permit, requires(Action.USER_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    member: Annotated[list[str], Form()],
    on_call: Annotated[int, Form(ge=1, le=1000)],
    escalation_minutes: Annotated[int, Form(ge=1, le=1440)],
) -> Response:
    """Save the rota order, who is on call now and the escalation time."""
    service.require_user_manage(signed_in.actor)
    try:
        with refusable(db):
            organisation.save_on_call(
                db,
                by=signed_in.user,
                actor=signed_in.actor,
                member_ids=member,
                on_call_slot=on_call,
                escalation_minutes=escalation_minutes,
                now=utcnow(),
            )
    except AlongsideError as exc:
        if isinstance(exc, NotFound):
            raise
        return _on_call_page(request, db, signed_in, error=exc.message, status_code=422)
    return RedirectResponse("/admin/on-call?saved=1", status_code=303)


def _sites_page(
    request: Request,
    db: DbSession,
    signed_in: SignedIn,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        **_base(signed_in),
        "sites": organisation.sites(db, signed_in.actor),
        "zones": organisation.time_zones(),
        "error": error,
        "saved": request.query_params.get("saved"),
    }
    return render(request, "accounts/admin_sites.html", context, status_code=status_code)


@router.get("/admin/sites")
def sites_page(
    permit: Annotated[Permit, requires(Action.USER_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The places where the organisation sees clients."""
    return _sites_page(request, db, signed_in)


@router.post("/admin/sites")
def add_site(
    permit: Annotated[Permit, requires(Action.USER_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    name: Annotated[str, Form(max_length=200)],
    timezone: Annotated[str, Form(max_length=64)],
) -> Response:
    """Add a site."""
    service.require_user_manage(signed_in.actor)
    try:
        with refusable(db):
            organisation.add_site(
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
        return _sites_page(request, db, signed_in, error=exc.message, status_code=422)
    return RedirectResponse("/admin/sites?saved=added", status_code=303)


@router.post("/admin/sites/{site_id}")
def change_site(
    permit: Annotated[Permit, requires(Action.USER_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    site_id: str,
    name: Annotated[str, Form(max_length=200)],
    timezone: Annotated[str, Form(max_length=64)],
) -> Response:
    """Rename a site or change its time zone."""
    service.require_user_manage(signed_in.actor)
    parsed: uuid.UUID = parse_id(site_id, "There is no such site in your organisation.")
    try:
        with refusable(db):
            organisation.rename_site(
                db,
                by=signed_in.user,
                actor=signed_in.actor,
                site_id=parsed,
                name=name,
                timezone=timezone,
                now=utcnow(),
            )
    except AlongsideError as exc:
        if isinstance(exc, NotFound):
            raise
        return _sites_page(request, db, signed_in, error=exc.message, status_code=422)
    return RedirectResponse("/admin/sites?saved=changed", status_code=303)
