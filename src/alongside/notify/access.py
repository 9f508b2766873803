"""Who may look after the outbox: the route-level gate shared by the API and the pages."""

from __future__ import annotations

import uuid

from alongside.errors import NotFound
from alongside.models import User
from alongside.security.permissions import Action, role_allows

NOT_HERE = "There is nothing at this address. Check the link, or go back to your home page."


def outbox_organization(user: User) -> uuid.UUID:
    """The organisation whose outbox ``user`` administers; 404 for anyone else (never 403)."""
    if not role_allows(user.role, Action.OUTBOX_ADMIN):
        raise NotFound(NOT_HERE)
    return user.organization_id
