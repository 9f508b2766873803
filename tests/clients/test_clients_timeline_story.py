"""The client's timeline tells what happened in words: an intake link not yet used, an
appointment, a message waiting, a refused attempt to open the record, in the clinic's zone (or
UTC when the zone is unknown); the kinds can be chosen."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from alongside.intake import service as intake_service
from alongside.kit.time import utcnow
from alongside.models import Role
from tests.clients.test_clients_find_pages import _page_login
from tests.fixtures.factories import World
from tests.privacy.privacy_support import appointment, queued_reminder


def _story(db: Session, world: World) -> None:
    clinician = world.users[Role.CLINICIAN]
    intake_service.create_intake(db, actor=clinician, client_id=world.own_client.id, now=utcnow())
    appointment(db, clinician, world.own_client, reason="Timelinereasoncanary")
    queued_reminder(db, world.own_client, body="Timelinebodycanary")
    db.commit()


def test_the_timeline_tells_the_story_in_words(
    client: TestClient, db: Session, world: World
) -> None:
    _story(db, world)
    # Someone outside the care team tries to open the record first: refused, and told.
    outsider = TestClient(client.app)
    _page_login(outsider, world, Role.COORDINATOR)
    assert outsider.get(f"/clients/{world.own_client.id}/timeline").status_code == 404
    _page_login(client, world, Role.CLINICIAN)
    page = client.get(f"/clients/{world.own_client.id}/timeline")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "Intake link created, not yet submitted" in text
    assert f"Therapy with {world.users[Role.CLINICIAN].display_name} (booked)" in text
    assert "Reminder by email (pending)" in text
    coordinator = world.users[Role.COORDINATOR].display_name
    assert f"{coordinator} (intake coordinator) was refused" in text
    # Neither the message's words nor the appointment's reason are shown, nor any id.
    assert "Timelinebodycanary" not in text
    assert "Timelinereasoncanary" not in text
    shown = re.sub(r'(href|action)="[^"]*"', "", text)
    assert str(world.own_client.id) not in shown


def test_only_the_chosen_kinds_are_shown(client: TestClient, db: Session, world: World) -> None:
    _story(db, world)
    _page_login(client, world, Role.CLINICIAN)
    page = client.get(
        f"/clients/{world.own_client.id}/timeline", params={"show": ["message", "nonsense"]}
    )
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "Reminder by email (pending)" in text
    assert "Intake link created, not yet submitted" not in text
    assert "(booked)" not in text


def test_a_clinic_zone_the_machine_does_not_know_shows_times_in_utc(
    client: TestClient, db: Session, world: World
) -> None:
    _story(db, world)
    world.org.timezone = "Atlantis/Lost_City"
    db.commit()
    _page_login(client, world, Role.CLINICIAN)
    page = client.get(f"/clients/{world.own_client.id}/timeline", params={"show": "appointment"})
    assert page.status_code == 200
    assert re.search(r"<p>\d\d:\d\d UTC, in person\.</p>", page.text)
