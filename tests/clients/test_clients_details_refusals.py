"""Correcting a client's details: each bad value is refused in words with nothing changed and
nothing audited as an update; a known date of birth is never blanked; an unchanged form
changes nothing; an erased record is not there. A search of too many words is refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alongside.models import AuditEvent, Client, Role
from tests.clients.test_clients_find_pages import _page_login
from tests.fixtures.factories import World

FIELDS = ("given_name", "family_name", "email", "phone", "date_of_birth", "preferred_language")


def _details(db: Session, client_id: object) -> tuple[object, ...]:
    db.expire_all()
    row = db.get_one(Client, client_id)
    return tuple(getattr(row, name) for name in FIELDS)


def _updates(db: Session, client_id: object) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.client_id == client_id, AuditEvent.action == "update")
        )
        or 0
    )


def _form(own: Client, csrf: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "given_name": own.given_name or "",
        "family_name": own.family_name or "",
        "email": own.email or "",
        "phone": own.phone or "",
        "date_of_birth": own.date_of_birth or "",
        "preferred_language": "en",
    }
    form.update(changes)
    return form


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"family_name": "x" * 201}, "Last name: at most 200 characters."),
        ({"email": "robin at home"}, "Email address: write an address such as name@example.org."),
        (
            {"email": "robin.example.org"},
            "Email address: write an address such as name@example.org.",
        ),
        ({"date_of_birth": "1990-02-30"}, "Date of birth: choose a date, such as 1990-04-23."),
        ({"date_of_birth": "23/04/1990"}, "Date of birth: choose a date, such as 1990-04-23."),
        ({"date_of_birth": "1850-01-01"}, "Date of birth: choose a date after 1900."),
        ({"preferred_language": "tlh"}, "Preferred language: choose a language from the list."),
        ({"preferred_language": ""}, "Preferred language: choose a language from the list."),
    ],
)
def test_a_bad_detail_is_refused_in_words_and_nothing_changes(
    client: TestClient, db: Session, world: World, changes: dict[str, str], message: str
) -> None:
    csrf = _page_login(client, world, Role.CLINICIAN)
    own = world.own_client
    before = _details(db, own.id)
    # A good change alongside the bad one is not kept either.
    refused = client.post(
        f"/clients/{own.id}/details", data=_form(own, csrf, given_name="Robin", **changes)
    )
    assert refused.status_code == 422
    assert message in refused.text
    assert 'role="alert"' in refused.text or "notice-error" in refused.text
    assert _details(db, own.id) == before
    assert _updates(db, own.id) == 0


def test_a_known_date_of_birth_is_not_blanked_and_an_unchanged_form_changes_nothing(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = _page_login(client, world, Role.CLINICIAN)
    own = world.own_client
    url = f"/clients/{own.id}/details"
    set_dob = client.post(url, data=_form(own, csrf, date_of_birth="1990-04-23"))
    assert set_dob.status_code == 200
    assert _details(db, own.id)[4] == "1990-04-23"
    assert _updates(db, own.id) == 1
    own = db.get_one(Client, own.id)
    blanked = client.post(url, data=_form(own, csrf, date_of_birth=""), follow_redirects=False)
    assert blanked.status_code == 303
    assert blanked.headers["location"].endswith("?saved=0#details-heading")
    assert _details(db, own.id)[4] == "1990-04-23"
    assert _updates(db, own.id) == 1  # nothing changed, nothing audited as a change


def test_an_erased_record_is_not_there_to_correct(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = _page_login(client, world, Role.CLINICIAN)
    own = world.own_client
    own.status = "erased"
    db.commit()
    before = _details(db, own.id)
    refused = client.post(f"/clients/{own.id}/details", data=_form(own, csrf, given_name="Robin"))
    assert refused.status_code == 404
    assert _details(db, own.id) == before
    malformed = client.post("/clients/not-a-client/details", data=_form(own, csrf))
    assert malformed.status_code == 404


def test_a_search_of_too_many_words_is_refused_in_words(client: TestClient, world: World) -> None:
    _page_login(client, world, Role.CLINICIAN)
    page = client.get("/clients", params={"q": "Anna Maria Lucia Sofia Beatrice"})
    assert page.status_code == 422
    assert "earch with at most 4 words" in page.text
    answer = client.get("/api/clients", params={"q": "Anna Maria Lucia Sofia Beatrice"})
    assert answer.status_code == 422
    assert answer.json()["error"] == "q: search with at most 4 words."
