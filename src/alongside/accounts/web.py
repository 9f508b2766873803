"""Setting and clearing the session cookie, shared by the API and the pages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from alongside.deps import SESSION_COOKIE


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """HttpOnly, SameSite=Lax, and Secure whenever the app is reached over TLS."""
    settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=settings.session_absolute_hours * 3600,
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    """Remove the session cookie from the browser."""
    response.delete_cookie(SESSION_COOKIE, path="/")
