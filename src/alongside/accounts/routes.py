"""JSON API for sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from alongside.accounts import service
from alongside.accounts.schemas import SessionCreate, SessionRead
from alongside.accounts.web import clear_session_cookie, set_session_cookie
from alongside.db import refusable
from alongside.deps import SESSION_COOKIE, CurrentSignedIn, DbSession, client_address
from alongside.errors import InvalidInput, NotAuthenticated
from alongside.kit.time import utcnow
from alongside.responses import error_response
from alongside.security.declare import Permit, requires

router = APIRouter(prefix="/api", tags=["session"])


@router.post(
    "/session",
    response_model=SessionRead,
    responses={401: {"description": "Wrong credentials"}, 429: {"description": "Throttled"}},
)
def create_session(
    permit: Annotated[Permit, requires(public=True)],
    body: SessionCreate,
    request: Request,
    db: DbSession,
) -> Response:
    """Sign in; the response sets the session cookie and returns the CSRF token."""
    now = utcnow()
    try:
        with refusable(db):
            user = service.sign_in(
                db,
                email=body.email,
                password=body.password,
                totp=body.totp,
                address=client_address(request),
                now=now,
                provider=request.app.state.kek_provider,
                demo=request.app.state.settings.is_demo,
            )
    except NotAuthenticated as exc:
        # The refused attempt stored only its failure count (see refusable).
        return error_response(request, 401, exc.message)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        service.end_session(db, old)
    tokens = service.start_session(db, user, now)
    payload = SessionRead(
        user_id=str(user.id),
        role=user.role.value,
        display_name=user.display_name,
        csrf_token=tokens.csrf_token,
    )
    response = JSONResponse(payload.model_dump())
    set_session_cookie(request, response, tokens.session_token)
    return response


@router.delete("/session", status_code=204)
def delete_session(
    permit: Annotated[Permit, requires(own_space=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Sign out of this session (an API token is revoked instead: ``DELETE /api/tokens/{id}``)."""
    if signed_in.via_token:
        raise InvalidInput(
            "An API token has no session to sign out of; revoke the token instead "
            "(DELETE /api/tokens/{token_id})."
        )
    service.end_session(db, request.cookies[SESSION_COOKIE])
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response
