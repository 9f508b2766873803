"""Whose clock a time is shown on: the person's own time zone when they chose one on their
account page, else their organisation's; and a moment written on that clock, the zone named.

The pages (``templating``) and the emails Alongside sends to staff both use this one rule, so a
person reads the same time on a page and in an email about it.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import object_session

from alongside.models import Organization


def tz(zone: object) -> tzinfo:
    """The zone named ``zone``; UTC for none or an unknown name (a page or email never fails
    on a zone stored before names were checked)."""
    try:
        return ZoneInfo(str(zone) if zone else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def clock(moment: Any, zone: object = None, pattern: str = "%H:%M") -> str:
    """A moment in the reader's time zone with the zone named, e.g. "14:05 GMT" (or with a
    date, by ``pattern``); an unknown zone shows UTC, named, rather than failing the page."""
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        return str(moment.strftime(pattern))
    local = moment.astimezone(tz(zone))
    return f"{local.strftime(pattern)} {local.tzname()}"


class OrganisationZone:
    """The signed-in person's time zone: their own when they chose one on their account page,
    else their organisation's, read in the request's own session the first time a page shows
    a time (pages without times cost no query); UTC when there is no one signed in."""

    def __init__(self, user: Any) -> None:
        self._user = user
        self._name: str | None = None

    def __str__(self) -> str:
        if self._name is None:
            self._name = self._read()
        return self._name

    def _read(self) -> str:
        own = getattr(self._user, "timezone", None)
        if isinstance(own, str) and own:
            return own
        organization_id = getattr(self._user, "organization_id", None)
        session = object_session(self._user) if self._user is not None else None
        if organization_id is None or session is None:
            return "UTC"
        zone = session.scalar(
            select(Organization.timezone).where(Organization.id == organization_id)
        )
        return zone or "UTC"


def when_for(person: Any, moment: datetime) -> str:
    """``moment`` as an email to ``person`` states it: on their own clock (else their
    organisation's), with the zone named, e.g. "Tuesday 3 March 2026 at 09:05 EST
    (America/New_York)"."""
    name = str(OrganisationZone(person))
    zone = tz(name)
    local = moment.astimezone(zone)
    return (
        f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} {local.tzname()} "
        f"({getattr(zone, 'key', 'UTC')})"
    )
