"""Content negotiation helpers for routes that serve pages and fragments."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

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


# Longer than any page address we serve; a longer "next" is not one of ours.
_MAX_RETURN_PATH = 2048


def local_return_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site to return to after sign-in, else ``None``.

    Only a relative path that starts with a single ``/`` is accepted: ``//host``, any scheme,
    backslashes (browsers read ``/\\host`` as ``//host``) and control characters are refused,
    so a link can never send someone who signs in to another site.
    """
    if not target or len(target) > _MAX_RETURN_PATH:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if parts.path in ("/login", "/logout"):
        return None
    return target


def page_url(request: Request, cursor: str | None) -> str:
    """This page's address with ``cursor`` instead of the current one (None: the first page);
    other query parameters (a search, a filter) are kept."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    if cursor is not None:
        params.append(("cursor", cursor))
    query = urlencode(params)
    return f"{request.url.path}?{query}" if query else request.url.path
