"""Client shapes for the API."""

from __future__ import annotations

import uuid

from alongside.kit.schema import Schema


class ClientRead(Schema):
    """A client as the API shows them to someone allowed to see them."""

    id: uuid.UUID
    given_name: str
    family_name: str
    preferred_language: str
    status: str
