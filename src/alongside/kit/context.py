"""Per-request context that services may read without seeing the HTTP request."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served, if any (None in the CLI and the worker)."""
    return request_id_var.get()
