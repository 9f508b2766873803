"""Sign-in (with setting up a new second factor when one is due), accepting an invitation, the
home pages for staff and clients, and a person's own time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from alongside.accounts import invitations, service
from alongside.accounts.web import clear_session_cookie, set_session_cookie
from alongside.clients.service import list_readable_clients
from alongside.db import refusable
from alongside.deps import SESSION_COOKIE, CurrentSignedIn, DbSession, client_address
from alongside.errors import (
    AlongsideError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooManyRequests,
)
from alongside.kit.http import local_return_path, page_url
from alongside.kit.time import utcnow
from alongside.models import Role, StaffInvitation, User
from alongside.security.declare import Permit, requires
from alongside.security.mfa import REQUIRED_ROLES
from alongside.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def index(permit: Annotated[Permit, requires(public=True)], request: Request) -> Response:
    """Send people to their home page, or to sign in."""
    target = "/home" if request.cookies.get(SESSION_COOKIE) else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login")
def login_page(
    permit: Annotated[Permit, requires(public=True)], request: Request, next: str | None = None
) -> Response:
    """The sign-in form; ``next`` is the page to return to, kept only if it is one of ours."""
    return render(
        request,
        "accounts/login.html",
        {"error": None, "email": "", "next": local_return_path(next)},
    )


@router.post("/login")
def login_submit(
    permit: Annotated[Permit, requires(public=True)],
    request: Request,
    db: DbSession,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)],
    totp: Annotated[str | None, Form(max_length=12)] = None,
    next: Annotated[str | None, Form(max_length=4096)] = None,
) -> Response:
    """Check the credentials; on success start a session and return to the page asked for."""
    return_to = local_return_path(next)
    now = utcnow()
    try:
        with refusable(db):
            user = service.sign_in(
                db,
                email=email,
                password=password,
                totp=totp,
                address=client_address(request),
                now=now,
                provider=request.app.state.kek_provider,
                demo=request.app.state.settings.is_demo,
                setup_allowed=True,
            )
    except (NotAuthenticated, TooManyRequests) as exc:
        # The refused attempt stored only its failure count (see refusable).
        return render(
            request,
            "accounts/login.html",
            {"error": exc.message, "email": email, "next": return_to},
            status_code=exc.status_code,
        )
    if user.totp_setup_required:
        # No session until the new second factor works.
        setup = service.begin_factor_setup(db, user, request.app.state.kek_provider, now)
        return _setup_page(request, setup, next_path=return_to)
    return _signed_in(request, db, user, now, return_to or "/home")


def _signed_in(request: Request, db: DbSession, user: User, now: datetime, target: str) -> Response:
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        service.end_session(db, old)
    tokens = service.start_session(db, user, now)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, tokens.session_token)
    return response


def _setup_page(
    request: Request,
    setup: service.FactorSetup,
    *,
    next_path: str | None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "accounts/second_factor_setup.html",
        {"setup": setup, "next": next_path, "error": error},
        status_code=status_code,
    )


@router.post("/login/second-factor")
def second_factor_setup(
    permit: Annotated[Permit, requires(public=True)],
    request: Request,
    db: DbSession,
    step: Annotated[str, Form(max_length=200)] = "",
    code: Annotated[str, Form(max_length=32)] = "",
    next: Annotated[str | None, Form(max_length=4096)] = None,
) -> Response:
    """Turn the new second factor on with the app's first code, then sign in (the signed step
    from the password page stands in for a session until then)."""
    return_to = local_return_path(next)
    provider = request.app.state.kek_provider
    now = utcnow()
    try:
        with refusable(db):
            user, codes = service.finish_factor_setup(
                db,
                step=step,
                code=code,
                provider=provider,
                now=now,
                address=client_address(request),
            )
    except (InvalidInput, TooManyRequests) as exc:
        # The refused attempt stored only the wrong code's count (see refusable).
        shown = service.setup_shown_again(db, step, provider, now)
        if shown is None or isinstance(exc, TooManyRequests):
            return render(
                request,
                "accounts/login.html",
                {"error": exc.message, "email": "", "next": return_to},
                status_code=exc.status_code,
            )
        return _setup_page(
            request, shown, next_path=return_to, error=exc.message, status_code=exc.status_code
        )
    response = render(
        request,
        "accounts/second_factor_ready.html",
        {"recovery_codes": codes, "continue_to": return_to or "/home"},
    )
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        service.end_session(db, old)
    tokens = service.start_session(db, user, now)
    set_session_cookie(request, response, tokens.session_token)
    return response


# --- Accepting an invitation (the link's token is the credential) --------------------------


def _invitation_page(
    request: Request,
    invitation: StaffInvitation | None,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "accounts/invitation.html",
        {
            "invitation": invitation,
            "role_words": invitations.ROLE_WORDS,
            "error": error,
            "factor_needed": invitation is not None
            and invitation.role in REQUIRED_ROLES
            and not request.app.state.settings.is_demo,
        },
        status_code=status_code,
    )


@router.get("/invitations/{token}")
def invitation_page(
    permit: Annotated[Permit, requires(public=True)],
    request: Request,
    db: DbSession,
    token: str,
) -> Response:
    """The invited colleague chooses their own password."""
    try:
        with refusable(db):
            invitation = invitations.open_invitation(db, token, utcnow())
    except NotFound as exc:
        return _invitation_page(request, None, error=exc.message, status_code=404)
    return _invitation_page(request, invitation)


@router.post("/invitations/{token}")
def accept_invitation(
    permit: Annotated[Permit, requires(public=True)],
    request: Request,
    db: DbSession,
    token: str,
    password: Annotated[str, Form(max_length=1024)] = "",
    password_again: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Make the account with the chosen password; then the second factor, if the role needs
    one, else straight in."""
    now = utcnow()
    try:
        with refusable(db):
            user = invitations.accept(
                db,
                token=token,
                password=password,
                password_again=password_again,
                now=now,
                demo=request.app.state.settings.is_demo,
            )
    except NotFound as exc:
        return _invitation_page(request, None, error=exc.message, status_code=404)
    except AlongsideError as exc:
        if exc.status_code >= 500:
            raise
        invitation = invitations.open_invitation(db, token, now)
        return _invitation_page(request, invitation, error=exc.message, status_code=exc.status_code)
    if user.totp_setup_required:
        setup = service.begin_factor_setup(db, user, request.app.state.kek_provider, now)
        return _setup_page(request, setup, next_path=None)
    return _signed_in(request, db, user, now, "/home")


# --- A person's own settings ----------------------------------------------------------------


@router.post("/account/time-zone")
def save_time_zone(
    permit: Annotated[Permit, requires(staff=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    timezone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Choose the time zone every time is shown to you in (or the organisation's)."""
    if not signed_in.user.is_staff:
        raise NotFound("There is nothing at this address.")
    try:
        with refusable(db):
            service.set_time_zone(db, signed_in.user, timezone, now=utcnow())
    except InvalidInput as exc:
        return render(
            request,
            "accounts/time_zone.html",
            {"user": signed_in.user, "csrf_token": signed_in.csrf_token, "error": exc.message},
            status_code=exc.status_code,
        )
    return RedirectResponse("/account?saved=time-zone#time-zone-heading", status_code=303)


@router.post("/logout")
def logout(
    permit: Annotated[Permit, requires(own_space=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """End the session and return to the sign-in page."""
    service.end_session(db, request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/home")
def home(
    permit: Annotated[Permit, requires(own_space=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Staff see their work; clients see their own space."""
    user = signed_in.user
    context = {"user": user, "csrf_token": signed_in.csrf_token}
    if user.role is Role.CLIENT:
        return render(request, "accounts/client_home.html", context)
    params = request.query_params
    q = params.get("q") or None
    page = list_readable_clients(
        db, user, signed_in.actor, utcnow(), cursor=params.get("cursor") or None, q=q
    )
    return render(
        request,
        "accounts/staff_home.html",
        {
            **context,
            "clients": page.items,
            "q": q or "",
            "next_url": page_url(request, page.next) if page.next else None,
            "first_url": page_url(request, None) if params.get("cursor") else None,
        },
    )
