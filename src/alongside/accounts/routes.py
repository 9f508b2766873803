"""JSON API for sessions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from alongside.accounts import service
from alongside.accounts.schemas import SessionCreate, SessionRead
from alongside.accounts.web import clear_session_cookie, set_session_cookie
from alongside.deps import SESSION_COOKIE, CurrentSignedIn, DbSession
from alongside.kit.time import utcnow

router = APIRouter(prefix="/api", tags=["session"])


@router.post("/session", response_model=SessionRead)
def create_session(body: SessionCreate, request: Request, db: DbSession) -> Response:
    """Sign in; the response sets the session cookie and returns the CSRF token."""
    user = service.authenticate(db, body.email, body.password)
    tokens = service.start_session(db, user, utcnow())
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
def delete_session(request: Request, db: DbSession, signed_in: CurrentSignedIn) -> Response:
    """Sign out of this session."""
    service.end_session(db, request.cookies[SESSION_COOKIE])
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response
