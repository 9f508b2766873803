"""A clinician's iCalendar (RFC 5545) feed at a secret, revocable address.

- :func:`create_feed` ``(session, *, actor, clinician_id, now) -> tuple[CalendarFeed, str]``:
  a new address for the clinician (themself, or someone who manages the waitlist); the token is
  returned once and only its SHA-256 is stored. Path: ``/calendar/<token>.ics``.
- :func:`revoke_feed` ``(session, *, actor, feed_id, now)``: the address stops working.
- :func:`feed_calendar` ``(session, token, now) -> bytes``: the feed, or :class:`NotFound` for an
  unknown or revoked token. Events cover 30 days back to 90 days ahead and name the client by
  initials and the appointment type only (a calendar app may sync to someone else's cloud).
  Each fetch is audited as a list access by the clinician who owns the feed.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.errors import NotFound
from alongside.models import AuditAction, CalendarFeed, Client, User
from alongside.models.encrypted import keyring_for
from alongside.scheduling.service import active_appointments, staff_clinician
from alongside.security.guard import audit_access
from alongside.security.permissions import Action
from alongside.security.policy import Actor, can

__all__ = [
    "FEED_NOT_FOUND",
    "create_feed",
    "feed_calendar",
    "feed_path",
    "hash_token",
    "revoke_feed",
]

FEED_NOT_FOUND = "There is no calendar at this address."
TOKEN_BYTES = 32
PAST = timedelta(days=30)
AHEAD = timedelta(days=90)
PRODID = "-//Alongside//Clinician calendar//EN"


def hash_token(token: str) -> str:
    """SHA-256 (hex) of a feed token: what the database keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def feed_path(token: str) -> str:
    """The feed's path, to put after the clinic's address."""
    return f"/calendar/{token}.ics"


def create_feed(
    session: Session, *, actor: Actor, clinician_id: uuid.UUID, now: datetime
) -> tuple[CalendarFeed, str]:
    """A new secret address for the clinician's calendar; the token is shown once."""
    clinician = staff_clinician(session, actor, clinician_id)
    if actor.user_id != clinician.id and not can(actor, Action.WAITLIST_MANAGE):
        raise NotFound("No clinician with this id is available to you.")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = CalendarFeed(
        organization_id=clinician.organization_id,
        clinician_id=clinician.id,
        token_hash=hash_token(token),
        created_at=now,
    )
    session.add(feed)
    session.flush()
    return feed, token


def list_feeds(session: Session, *, actor: Actor) -> list[CalendarFeed]:
    """The actor's own feeds that still work, newest first."""
    return list(
        session.scalars(
            select(CalendarFeed)
            .where(CalendarFeed.clinician_id == actor.user_id)
            .where(CalendarFeed.revoked_at.is_(None))
            .order_by(CalendarFeed.created_at.desc(), CalendarFeed.id)
        )
    )


def revoke_feed(session: Session, *, actor: Actor, feed_id: uuid.UUID, now: datetime) -> None:
    """Stop an address working (its owner, or someone who manages the waitlist)."""
    feed = session.get(CalendarFeed, feed_id)
    if (
        feed is None
        or feed.organization_id != actor.organization_id
        or (feed.clinician_id != actor.user_id and not can(actor, Action.WAITLIST_MANAGE))
    ):
        raise NotFound(FEED_NOT_FOUND)
    if feed.revoked_at is None:
        feed.revoked_at = now
        session.flush()


def feed_calendar(session: Session, token: str, now: datetime) -> bytes:
    """The iCalendar text of the clinician's appointments (initials and type only)."""
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == hash_token(token)))
    if feed is None or feed.revoked_at is not None:
        raise NotFound(FEED_NOT_FOUND)
    clinician = session.get(User, feed.clinician_id)
    if clinician is None or not clinician.is_active:
        raise NotFound(FEED_NOT_FOUND)
    appointments = active_appointments(
        session, clinician_ids=[clinician.id], start=now - PAST, end=now + AHEAD
    )
    ids = list({a.client_id for a in appointments})
    keyring_for(session).preload(session, ids)
    clients = (
        {c.id: c for c in session.scalars(select(Client).where(Client.id.in_(ids)))} if ids else {}
    )
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Alongside: {clinician.display_name}")
    for appointment in appointments:
        client = clients.get(appointment.client_id)
        initials = client.initials if client is not None else "?"
        event = Event()
        event.add("uid", f"{appointment.id}@alongside")
        event.add("dtstamp", now)
        event.add("dtstart", appointment.starts_at)
        event.add("dtend", appointment.ends_at)
        event.add("summary", f"{initials} - {appointment.kind.value}")
        event.add("location", "In person" if appointment.setting == "in_person" else "Telehealth")
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    feed.last_used_at = now
    audit_access(
        session,
        user=clinician,
        actor=None,
        action=AuditAction.LIST,
        resource_type="calendar_feed",
        resource_id=feed.id,
        client_id=None,
        organization_id=feed.organization_id,
        now=now,
    )
    data: bytes = calendar.to_ical()
    return data
