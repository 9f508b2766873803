"""Taking a client off the waitlist from its page, with a reason, as the API does: the entry
leaves the list, the reason is kept (encrypted) and shown under "Recently taken off", the change
is audited; no reason is an error in words; other roles and organisations get 404."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.kit.time import utcnow
from alongside.models import AuditEvent, Role, WaitlistEntry, WaitlistStatus
from alongside.scheduling import waitlist
from tests.fixtures.factories import World, create_client, create_staff
from tests.fixtures.web import sign_in


def _waiting(db: Session, world: World, **names: str) -> WaitlistEntry:
    person = create_client(db, world.org, **names)
    entry = waitlist.add_to_waitlist(
        db,
        client_id=person.id,
        urgency="routine",
        pathway="low-intensity",
        decided_by=world.users[Role.CLINICIAN],
        now=utcnow(),
    )
    db.flush()
    return entry


def test_a_coordinator_takes_a_client_off_with_a_reason(
    db: Session, world: World, client: TestClient
) -> None:
    entry = _waiting(db, world, given_name="Noor", family_name="Haddad")
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    page = client.get("/scheduling/waitlist")
    assert "Haddad, Noor" in page.text
    assert "Take Noor off the waitlist" in page.text
    assert "Nobody has been taken off the list." in page.text
    removed = client.post(
        f"/scheduling/waitlist/{entry.id}/remove",
        data={"csrf_token": csrf, "reason": "Found care elsewhere"},
        follow_redirects=False,
    )
    assert removed.status_code == 303, removed.text
    shown = client.get(removed.headers["location"])
    assert "Taken off the waitlist." in shown.text
    waiting, left = shown.text.split('id="left-heading"')
    assert "Haddad, Noor" not in waiting
    assert "Haddad, Noor" in left
    assert "Found care elsewhere" in left
    db.expire_all()
    stored = db.get(WaitlistEntry, entry.id)
    assert stored is not None
    assert stored.status is WaitlistStatus.REMOVED
    assert stored.status_reason == "Found care elsewhere"
    audited = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.resource_type == "waitlist_entry")
        .where(AuditEvent.resource_id == str(entry.id))
        .where(AuditEvent.action == "update")
    ).all()
    assert [e.actor_id for e in audited] == [world.users[Role.COORDINATOR].id]


def test_no_reason_shows_the_list_again_with_the_message_in_words(
    db: Session, world: World, client: TestClient
) -> None:
    entry = _waiting(db, world, given_name="Ilse", family_name="Brandt")
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    response = client.post(
        f"/scheduling/waitlist/{entry.id}/remove", data={"csrf_token": csrf, "reason": " "}
    )
    assert response.status_code == 422
    assert "Reason: say why the client leaves the waitlist." in response.text
    assert '<details class="leave-list" open>' in response.text
    assert "reason:" not in response.text
    db.expire_all()
    stored = db.get(WaitlistEntry, entry.id)
    assert stored is not None
    assert stored.status is WaitlistStatus.WAITING


def test_taking_off_twice_says_so_in_words(db: Session, world: World, client: TestClient) -> None:
    entry = _waiting(db, world)
    csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    url = f"/scheduling/waitlist/{entry.id}/remove"
    first = client.post(url, data={"csrf_token": csrf, "reason": "Moved away"})
    assert first.status_code == 200  # followed to the list
    again = client.post(url, data={"csrf_token": csrf, "reason": "Moved away"})
    assert again.status_code == 409
    assert "This entry is removed; it is no longer on the list." in again.text


def test_clinicians_clients_and_other_organisations_cannot(
    db: Session, world: World, client: TestClient
) -> None:
    entry = _waiting(db, world)
    url = f"/scheduling/waitlist/{entry.id}/remove"
    for user in (world.users[Role.CLINICIAN], world.client_user, world.users[Role.ADMIN]):
        client.cookies.clear()
        csrf = sign_in(client, user)
        assert client.post(url, data={"csrf_token": csrf, "reason": "x"}).status_code == 404
    foreign = create_client(db, world.other_org)
    foreign_clinician = create_staff(db, world.other_org, Role.CLINICIAN)
    theirs = waitlist.add_to_waitlist(
        db,
        client_id=foreign.id,
        urgency="routine",
        pathway="low-intensity",
        decided_by=foreign_clinician,
        now=utcnow(),
    )
    db.flush()
    client.cookies.clear()
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    response = client.post(
        f"/scheduling/waitlist/{theirs.id}/remove", data={"csrf_token": csrf, "reason": "x"}
    )
    assert response.status_code == 404
    db.expire_all()
    for row in (entry, theirs):
        stored = db.get(WaitlistEntry, row.id)
        assert stored is not None
        assert stored.status is WaitlistStatus.WAITING
