"""The one shape of every error response, shared by the app's handlers and by routes."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from alongside.kit.http import is_htmx, wants_html
from alongside.templating import render


def request_id_of(request: Request) -> str:
    """The id the middleware gave this request."""
    return str(getattr(request.state, "request_id", ""))


def error_response(request: Request, status_code: int, message: str) -> Response:
    """JSON for the API, an HTML page or htmx fragment for people; never a stack trace."""
    if wants_html(request):
        template = "_error.html" if is_htmx(request) else "error.html"
        return render(
            request,
            template,
            {"status_code": status_code, "message": message},
            status_code=status_code,
        )
    return JSONResponse(
        {"error": message, "status": status_code, "request_id": request_id_of(request)},
        status_code=status_code,
    )
