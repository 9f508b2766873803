"""Sign-in page and the home pages for staff and clients."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from alongside.accounts import service
from alongside.accounts.web import clear_session_cookie, set_session_cookie
from alongside.clients.service import list_readable_clients
from alongside.deps import SESSION_COOKIE, CurrentSignedIn, DbSession, client_address
from alongside.errors import NotAuthenticated, TooManyRequests
from alongside.kit.http import local_return_path, page_url
from alongside.kit.time import utcnow
from alongside.models import Role
from alongside.security.declare import Permit, requires
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
        user = service.sign_in(
            db,
            email=email,
            password=password,
            totp=totp,
            address=client_address(request),
            now=now,
            provider=request.app.state.kek_provider,
            demo=request.app.state.settings.is_demo,
        )
    except (NotAuthenticated, TooManyRequests) as exc:
        # Rendered, not raised, so a failed attempt's count is committed.
        return render(
            request,
            "accounts/login.html",
            {"error": exc.message, "email": email, "next": return_to},
            status_code=exc.status_code,
        )
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        service.end_session(db, old)
    tokens = service.start_session(db, user, now)
    response = RedirectResponse(return_to or "/home", status_code=303)
    set_session_cookie(request, response, tokens.session_token)
    return response


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
