"""The waitlist and a client's appointments page with signed cursors, in their full order."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from alongside.models import Role, WaitlistEntry, WaitlistStatus
from tests.fixtures.factories import World, create_client
from tests.fixtures.web import sign_in

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
RANK = {"crisis": 0, "urgent": 1, "soon": 2, "routine": 3}


def _entry(db: Session, world: World, urgency: str, days_ago: int, status: WaitlistStatus) -> str:
    person = create_client(db, world.org)
    entry = WaitlistEntry(
        organization_id=world.org.id,
        client_id=person.id,
        urgency=urgency,
        pathway="step2",
        status=status,
        added_at=NOW - timedelta(days=days_ago),
    )
    db.add(entry)
    db.flush()
    return str(entry.id)


def test_the_waitlist_pages_by_urgency_then_waiting_time(
    client: TestClient, db: Session, world: World
) -> None:
    rng = random.Random(3)
    rows = []
    for urgency in ["routine", "soon", "urgent", "crisis", "someday"] * 3:
        status = rng.choice([WaitlistStatus.WAITING, WaitlistStatus.BACK_TO_TRIAGE])
        days = rng.randint(0, 90)
        rows.append(
            (
                RANK.get(urgency, 4),
                NOW - timedelta(days=days),
                _entry(db, world, urgency, days, status),
            )
        )
    booked = _entry(db, world, "crisis", 100, WaitlistStatus.BOOKED)
    expected = [entry_id for _rank, _at, entry_id in sorted(rows, key=lambda r: (r[0], r[1], r[2]))]
    sign_in(client, world.users[Role.COORDINATOR])
    seen, cursor = [], None
    while True:
        params: dict[str, object] = {"limit": 4}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/api/scheduling/waitlist", params=params).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    # Same day ties fall back to the id; compare the order where it is defined.
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen)) == 15
    assert booked not in seen
    keys = [next((r[0], r[1]) for r in rows if r[2] == entry_id) for entry_id in seen]
    assert keys == sorted(keys)
    bad = client.get("/api/scheduling/waitlist", params={"cursor": "forged.cursor"})
    assert bad.status_code == 422
    page = client.get("/scheduling/waitlist")
    assert page.status_code == 200


def test_the_waitlist_page_shows_fifty_and_links_to_the_rest(
    client: TestClient, db: Session, world: World
) -> None:
    for n in range(53):
        _entry(db, world, "routine", n, WaitlistStatus.WAITING)
    sign_in(client, world.users[Role.COORDINATOR])
    first = client.get("/scheduling/waitlist")
    assert first.text.count('<tr id="entry-') == 50
    href = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(href.replace("&amp;", "&"))
    assert second.text.count('<tr id="entry-') == 3
    assert 'rel="next"' not in second.text
