"""The clinician's iCalendar feed: secret, revocable, initials and type only, parsed back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy.orm import Session
from test_scheduling_service import MONDAY_NINE, NOW, actor, audit_count, clinic

from alongside.errors import NotFound
from alongside.models import CalendarFeed, Role
from alongside.scheduling import booking, ical
from tests.fixtures.factories import World


def test_feed_round_trips_through_icalendar_without_names(db: Session, world: World) -> None:
    c = clinic(db, world)
    booking.book_appointment(
        db,
        user=c.coordinator,
        actor=actor(db, c.coordinator),
        client_id=c.client.id,
        clinician_id=c.clinician.id,
        starts_at=MONDAY_NINE,
        reason="Assessment",
        now=NOW,
    )
    feed, token = ical.create_feed(
        db, actor=actor(db, c.clinician), clinician_id=c.clinician.id, now=NOW
    )
    assert feed.token_hash == ical.hash_token(token)
    assert token not in feed.token_hash
    before = audit_count(db, "calendar_feed")
    data = ical.feed_calendar(db, token, NOW)
    assert audit_count(db, "calendar_feed") == before + 1
    text = data.decode()
    assert c.client.given_name not in text
    assert c.client.family_name not in text
    parsed = Calendar.from_ical(data)
    events = list(parsed.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert str(event["summary"]) == f"{c.client.initials} - assessment"
    assert event.decoded("dtstart") == MONDAY_NINE
    assert event.decoded("dtend") == MONDAY_NINE + timedelta(minutes=50)
    assert feed.last_used_at == NOW


def test_revoked_and_unknown_feeds_are_404(db: Session, world: World) -> None:
    c = clinic(db, world)
    me = actor(db, c.clinician)
    feed, token = ical.create_feed(db, actor=me, clinician_id=c.clinician.id, now=NOW)
    assert [f.id for f in ical.list_feeds(db, actor=me)] == [feed.id]
    with pytest.raises(NotFound):
        ical.revoke_feed(db, actor=actor(db, world.other_clinician), feed_id=feed.id, now=NOW)
    ical.revoke_feed(db, actor=me, feed_id=feed.id, now=NOW)
    with pytest.raises(NotFound):
        ical.feed_calendar(db, token, NOW)
    with pytest.raises(NotFound):
        ical.feed_calendar(db, "not-a-token", NOW)
    assert ical.list_feeds(db, actor=me) == []


def test_only_the_clinician_or_a_coordinator_creates_a_feed(db: Session, world: World) -> None:
    c = clinic(db, world)
    with pytest.raises(NotFound):
        ical.create_feed(
            db, actor=actor(db, world.other_clinician), clinician_id=c.clinician.id, now=NOW
        )
    feed, _ = ical.create_feed(
        db, actor=actor(db, world.users[Role.COORDINATOR]), clinician_id=c.clinician.id, now=NOW
    )
    assert isinstance(feed, CalendarFeed)
