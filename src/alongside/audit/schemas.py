"""Schemas of the audit API: a client's access log."""

from __future__ import annotations

from datetime import datetime

from alongside.kit.schema import Schema


class AccessLogEntryRead(Schema):
    """One access to the client's record: who (name and role), when, what and why."""

    when: datetime
    who: str
    role: str
    what: str
    why: str
    action: str
    resource_type: str
    purpose: str
    outcome: str


class AccessLogRead(Schema):
    """A page of the client's access log, newest first."""

    entries: list[AccessLogEntryRead]
    total: int
    offset: int
    limit: int
    include_own: bool
