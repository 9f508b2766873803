"""Ids taken from a path or a form."""

from __future__ import annotations

import uuid

from alongside.errors import NotFound


def parse_id(value: str, message: str) -> uuid.UUID:
    """A UUID from a path, or 404 with `message` (a malformed id is as unknown as a missing one)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(message) from None
