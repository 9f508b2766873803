"""Pages for emergency (break-glass) access, its review, and a staff member's own security."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.audit.service import record
from alongside.clients.service import email_condition, names_of_readable_clients
from alongside.db import refusable
from alongside.deps import CurrentSignedIn, DbSession, SignedIn, client_address
from alongside.errors import AlongsideError, InvalidInput, NotFound
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.models import AuditAction, AuditOutcome, AuditPurpose, Client, User
from alongside.security import access, mfa, tokens
from alongside.security.declare import Permit, requires
from alongside.security.guard import refuse
from alongside.security.permissions import Action
from alongside.templating import render

router = APIRouter(include_in_schema=False)


def _context(signed_in: CurrentSignedIn, **extra: object) -> dict[str, object]:
    return {"user": signed_in.user, "csrf_token": signed_in.csrf_token, **extra}


@router.get("/access/emergency")
def emergency_form(
    permit: Annotated[Permit, requires(Action.BREAK_GLASS_REQUEST)],
    request: Request,
    signed_in: CurrentSignedIn,
) -> Response:
    """Ask for time-limited access to a client outside your care team."""
    return render(request, "security/emergency.html", _context(signed_in, error=None, email=""))


@router.post("/access/emergency")
def emergency_submit(
    permit: Annotated[Permit, requires(Action.BREAK_GLASS_REQUEST)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    reason: Annotated[str, Form(max_length=2000)],
    email: Annotated[str | None, Form(max_length=254)] = None,
    client_id: Annotated[str | None, Form(max_length=64)] = None,
) -> Response:
    """Open a client's record for a stated reason: the client chosen from a search result, or
    found by exact email (blind index)."""
    now = utcnow()
    try:
        with refusable(db):
            if client_id:
                chosen = parse_id(client_id, access.CLIENT_NOT_FOUND)
            else:
                if not email or not email.strip():
                    raise InvalidInput(
                        "Find the client by name, date of birth or email first, or give their "
                        "exact email address."
                    )
                organization_id = signed_in.actor.organization_id
                # The address on their record or the one they sign in with (blind indexes).
                matches = db.scalars(
                    select(Client.id)
                    .where(Client.organization_id == organization_id)
                    .where(email_condition(db, organization_id, email))
                    .limit(2)
                ).all()
                if not matches:
                    raise NotFound("No client of your organisation has exactly this email address.")
                if len(matches) > 1:
                    raise InvalidInput(
                        "More than one client has this email address: find the client by name "
                        "or date of birth instead."
                    )
                chosen = matches[0]
            try:
                grant = access.request_break_glass(
                    db,
                    signed_in.actor,
                    client_id=chosen,
                    reason=reason,
                    now=now,
                    minutes=request.app.state.settings.break_glass_minutes,
                )
            except NotFound as refused:
                # As the API does: a refused emergency access is audited (kept though nothing
                # else of the attempt is), and the page says what the service said.
                raise refuse(
                    db,
                    user=signed_in.user,
                    actor=signed_in.actor,
                    resource_type="client",
                    resource_id=chosen,
                    client_id=None,
                    now=now,
                    message=refused.message,
                ) from None
    except AlongsideError as exc:
        return render(
            request,
            "security/emergency.html",
            _context(signed_in, error=exc.message, email=email or ""),
            status_code=exc.status_code,
        )
    record(
        db,
        actor=signed_in.user,
        action=AuditAction.BREAK_GLASS,
        resource_type="client",
        resource_id=grant.client_id,
        client_id=grant.client_id,
        organization_id=grant.organization_id,
        purpose=AuditPurpose.EMERGENCY,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )
    return RedirectResponse(f"/clients/{grant.client_id}", status_code=303)


@router.get("/access/review")
def review_page(
    permit: Annotated[Permit, requires(Action.BREAK_GLASS_REVIEW)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The clinical lead's access review: emergency accesses, and intake reviews assigned
    outside the care team."""
    now = utcnow()
    grants = access.break_glass_review_list(db, signed_in.actor)
    assignments = access.assignment_review_list(db, signed_in.actor, now)
    held_back = access.held_back_sign_ins(db, signed_in.actor, now)
    people = {g.clinician_id for g in grants} | {a.reviewer_id for a in assignments}
    people |= {a.assigned_by_id for a in assignments if a.assigned_by_id is not None}
    rows = db.execute(select(User.id, User.display_name).where(User.id.in_(people))).all()
    names = {user_id: name for user_id, name in rows}
    now = utcnow()
    client_names = names_of_readable_clients(
        db, signed_in.user, signed_in.actor, {g.client_id for g in grants}, now
    )
    return render(
        request,
        "security/review.html",
        _context(
            signed_in,
            grants=grants,
            assignments=assignments,
            held_back=held_back,
            names=names,
            client_names=client_names,
            now=now,
        ),
    )


@router.post("/access/review/{grant_id}")
def review_acknowledge(
    permit: Annotated[Permit, requires(Action.BREAK_GLASS_REVIEW)],
    grant_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Acknowledge one emergency access."""
    parsed = parse_id(grant_id, "No emergency access with this id is available to you.")
    access.acknowledge_break_glass(db, signed_in.actor, parsed, utcnow())
    return RedirectResponse("/access/review", status_code=303)


def _account(
    request: Request,
    db: Session,
    signed_in: SignedIn,
    *,
    enrolment: dict[str, str] | None = None,
    new_token: str | None = None,
    recovery_codes: list[str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    # Every account action shows the page again: your tokens, plus what the action gave or refused.
    return render(
        request,
        "security/account.html",
        _context(
            signed_in,
            tokens=tokens.list_tokens(db, signed_in.user),
            enrolment=enrolment,
            new_token=new_token,
            recovery_codes=recovery_codes,
            unused_recovery_codes=mfa.unused_recovery_codes(db, signed_in.user),
            error=error,
        ),
        status_code=status_code,
    )


@router.get("/account")
def account_page(
    permit: Annotated[Permit, requires(staff=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Your second factor and API tokens."""
    return _account(request, db, signed_in)


@router.post("/account/totp")
def account_totp(
    permit: Annotated[Permit, requires(staff=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    password: Annotated[str, Form(max_length=1024)] = "",
    code: Annotated[str | None, Form(max_length=32)] = None,
) -> Response:
    """Start adding or replacing the second factor: your password, and a current code (or a
    recovery code) when one is on."""
    try:
        with refusable(db):
            secret, uri = mfa.start_change(
                db,
                signed_in.user,
                password=password,
                code=code,
                provider=request.app.state.kek_provider,
                now=utcnow(),
                address=client_address(request),
            )
    except AlongsideError as exc:
        if exc.status_code >= 500:
            raise
        return _account(request, db, signed_in, error=exc.message, status_code=exc.status_code)
    return _account(request, db, signed_in, enrolment={"secret": secret, "uri": uri})


@router.post("/account/totp/confirm")
def account_totp_confirm(
    permit: Annotated[Permit, requires(staff=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    code: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Turn the new second factor on with the new app's code; shows recovery codes once."""
    try:
        with refusable(db):
            codes = mfa.confirm_change(
                db, signed_in.user, code, request.app.state.kek_provider, utcnow()
            )
    except AlongsideError as exc:
        if exc.status_code >= 500:
            raise
        return _account(request, db, signed_in, error=exc.message, status_code=exc.status_code)
    return _account(request, db, signed_in, recovery_codes=codes)


@router.post("/account/totp/remove")
def account_totp_remove(
    permit: Annotated[Permit, requires(staff=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    password: Annotated[str, Form(max_length=1024)] = "",
    code: Annotated[str | None, Form(max_length=32)] = None,
) -> Response:
    """Turn the second factor off (not for roles that require one)."""
    try:
        with refusable(db):
            mfa.remove_second_factor(
                db,
                signed_in.user,
                password=password,
                code=code,
                provider=request.app.state.kek_provider,
                now=utcnow(),
                address=client_address(request),
            )
    except AlongsideError as exc:
        if exc.status_code >= 500:
            raise
        return _account(request, db, signed_in, error=exc.message, status_code=exc.status_code)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/recovery-codes")
def account_recovery_codes(
    permit: Annotated[Permit, requires(staff=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    password: Annotated[str, Form(max_length=1024)] = "",
    code: Annotated[str | None, Form(max_length=32)] = None,
) -> Response:
    """New recovery codes, shown once (the old ones stop working)."""
    try:
        with refusable(db):
            codes = mfa.new_recovery_codes(
                db,
                signed_in.user,
                password=password,
                code=code,
                provider=request.app.state.kek_provider,
                now=utcnow(),
                address=client_address(request),
            )
    except AlongsideError as exc:
        if exc.status_code >= 500:
            raise
        return _account(request, db, signed_in, error=exc.message, status_code=exc.status_code)
    return _account(request, db, signed_in, recovery_codes=codes)


@router.post("/account/tokens")
def account_token_create(
    permit: Annotated[Permit, requires(staff=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    name: Annotated[str, Form(max_length=120)],
    scopes: Annotated[str, Form(max_length=2000)],
) -> Response:
    """Create an API token; its secret is shown once."""
    error = None
    new_token = None
    try:
        with refusable(db):
            new_token, _token = tokens.create_token(
                db,
                signed_in.user,
                name=name,
                scopes=[s for s in scopes.replace(",", " ").split()],
                now=utcnow(),
                lifetime=timedelta(days=request.app.state.settings.api_token_days),
            )
    except AlongsideError as exc:
        error = exc.message
    return _account(request, db, signed_in, new_token=new_token, error=error)


@router.post("/account/tokens/{token_id}/revoke")
def account_token_revoke(
    permit: Annotated[Permit, requires(staff=True)],
    token_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Revoke one of your tokens."""
    parsed = parse_id(token_id, "No token with this id is yours.")
    tokens.revoke_token(db, signed_in.user, parsed, utcnow())
    return RedirectResponse("/account", status_code=303)
