"""The administrator names the organisation and sets its time zone from a page; nobody else can."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.models import AuditEvent, Organization, Role
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in

PAGE = "/admin/organisation"


def _organisation(db: Session, world: World) -> Organization:
    db.expire_all()
    found = db.get(Organization, world.users[Role.ADMIN].organization_id)
    assert found is not None
    return found


def _events(db: Session) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.resource_type == "organization")))


def test_the_admin_renames_the_organisation_and_changes_its_time_zone(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    before = _organisation(db, world)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert f'value="{before.name}"' in page.text
    assert f'value="{before.timezone}"' in page.text
    assert 'href="/admin/crisis-resources"' in page.text
    saved = client.post(
        PAGE,
        data={"csrf_token": csrf, "name": "  Riverside   Therapy ", "timezone": "Asia/Tokyo"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    after = _organisation(db, world)
    assert (after.name, after.timezone) == ("Riverside Therapy", "Asia/Tokyo")
    assert len(_events(db)) == 1
    assert "The organisation was saved." in client.get(saved.headers["location"]).text
    # Saving the same again changes nothing and records nothing.
    again = client.post(
        PAGE, data={"csrf_token": csrf, "name": "Riverside Therapy", "timezone": "Asia/Tokyo"}
    )
    assert again.status_code == 200
    assert len(_events(db)) == 1


@pytest.mark.parametrize(
    ("name", "timezone", "words"),
    [
        ("Riverside", "Mars/Olympus", "is not a time zone we know"),
        ("   ", "Europe/London", "Give the organisation a name"),
    ],
)
def test_a_bad_value_is_said_in_words_and_nothing_changes(
    client: TestClient, world: World, db: Session, name: str, timezone: str, words: str
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    before = _organisation(db, world)
    kept = (before.name, before.timezone)
    refused = client.post(PAGE, data={"csrf_token": csrf, "name": name, "timezone": timezone})
    assert refused.status_code == 422
    assert words in refused.text
    assert f'value="{timezone}"' in refused.text  # what was typed is kept to correct
    after = _organisation(db, world)
    assert (after.name, after.timezone) == kept
    assert _events(db) == []


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.COORDINATOR, Role.CLINICAL_LEAD])
def test_nobody_else_finds_the_page(
    client: TestClient, world: World, db: Session, role: Role
) -> None:
    csrf = sign_in(client, world.users[role])
    before = _organisation(db, world)
    assert client.get(PAGE).status_code == 404
    posted = client.post(PAGE, data={"csrf_token": csrf, "name": "Taken", "timezone": "UTC"})
    assert posted.status_code == 404
    assert _organisation(db, world).name == before.name
