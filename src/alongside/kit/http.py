"""Content negotiation helpers for routes that serve pages and fragments."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request


def is_htmx(request: Request) -> bool:
    """Whether the request came from htmx and wants a fragment."""
    return request.headers.get("HX-Request") == "true"


def wants_html(request: Request) -> bool:
    """Whether the caller is a browser page rather than an API client."""
    # The API reference is a page people open, though it lives beside the API it describes.
    if request.url.path.startswith("/api/") and request.url.path != "/api/docs":
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept or is_htmx(request) or "application/json" not in accept


def page_url(request: Request, cursor: str | None) -> str:
    """This page's address with ``cursor`` instead of the current one (None: the first page);
    other query parameters (a search, a filter) are kept."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    if cursor is not None:
        params.append(("cursor", cursor))
    query = urlencode(params)
    return f"{request.url.path}?{query}" if query else request.url.path
