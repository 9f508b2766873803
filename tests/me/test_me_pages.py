"""The client's own pages over plain HTTP: the forms' refusals (a clear 4xx in the client's
words, nothing stored) and what they store when accepted; staff are not answered there."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alongside.models import Consent, CorrectionRequest, ErasureRequest, ErasureStatus, Role
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in
from tests.me.test_me_api import records  # noqa: F401 - the fixture is used by name
from tests.me.test_note_corrections import _progress_note

NOT_FOUND = "There is nothing at this address."


def _corrections(db: Session, world: World) -> list[CorrectionRequest]:
    db.expire_all()
    return list(
        db.scalars(
            select(CorrectionRequest).where(CorrectionRequest.client_id == world.own_client.id)
        )
    )


def test_a_correction_of_an_unknown_detail_or_a_bad_date_is_refused_on_the_page(
    client: TestClient,
    records: World,  # noqa: F811
    db: Session,
) -> None:
    csrf = sign_in(client, records.client_user)
    unknown = client.post(
        "/me/corrections",
        data={"csrf_token": csrf, "field": "password", "value": "x", "reason": ""},
    )
    assert unknown.status_code == 422
    assert "Choose which detail to correct:" in unknown.text
    assert 'role="alert"' in unknown.text
    assert "<h1>Your data</h1>" in unknown.text  # the page again, to try again
    bad_date = client.post(
        "/me/corrections",
        data={"csrf_token": csrf, "field": "date_of_birth", "value": "last spring"},
    )
    assert bad_date.status_code == 422
    assert "a date of birth as YYYY-MM-DD, for example 1990-04-21" in bad_date.text
    assert _corrections(db, records) == []


def test_the_details_form_naming_a_note_is_not_found_and_stores_nothing(
    client: TestClient,
    records: World,  # noqa: F811
    db: Session,
) -> None:
    # Notes are corrected from the notes page, which names the note; the details form cannot.
    csrf = sign_in(client, records.client_user)
    named = client.post(
        "/me/corrections",
        data={"csrf_token": csrf, "field": "note", "value": "It was in May.", "reason": ""},
    )
    assert named.status_code == 404
    assert NOT_FOUND in named.text
    assert "Traceback" not in named.text
    assert _corrections(db, records) == []


def test_an_accepted_correction_form_is_stored_and_listed_on_the_data_page(
    client: TestClient,
    records: World,  # noqa: F811
    db: Session,
) -> None:
    old_name = str(records.own_client.family_name)
    csrf = sign_in(client, records.client_user)
    asked = client.post(
        "/me/corrections",
        data={
            "csrf_token": csrf,
            "field": "family_name",
            "value": "Smith-Jones",
            "reason": "I married.",
        },
        follow_redirects=False,
    )
    assert asked.status_code == 303
    assert asked.headers["location"] == "/me/data"
    [stored] = _corrections(db, records)
    assert stored.field == "family_name"
    assert stored.requested_value == "Smith-Jones"
    assert stored.previous_value == old_name
    assert stored.client_reason == "I married."
    page = client.get("/me/data")
    assert page.status_code == 200
    assert "Smith-Jones" in page.text
    assert str(stored.id) not in page.text


def test_a_note_correction_without_words_is_refused_and_an_unknown_note_is_not_found(
    client: TestClient,
    records: World,  # noqa: F811
    db: Session,
) -> None:
    note = _progress_note(db, records)
    csrf = sign_in(client, records.client_user)
    empty = client.post(
        f"/me/notes/{note.id}/corrections",
        data={"csrf_token": csrf, "value": "   ", "reason": "Wrong month."},
    )
    assert empty.status_code == 422
    assert "What should change: please fill this in." in empty.text
    assert "Signedprogresscanary" in empty.text  # the notes are shown again to try again
    for note_id in ("not-a-note", str(uuid.uuid4())):
        missing = client.post(
            f"/me/notes/{note_id}/corrections",
            data={"csrf_token": csrf, "value": "It was in May.", "reason": ""},
        )
        assert missing.status_code == 404
        assert NOT_FOUND in missing.text
        assert "Traceback" not in missing.text
    assert _corrections(db, records) == []
    asked = client.post(
        f"/me/notes/{note.id}/corrections",
        data={"csrf_token": csrf, "value": "It was in May.", "reason": "Wrong month."},
        follow_redirects=False,
    )
    assert asked.status_code == 303
    assert asked.headers["location"] == "/me/notes"
    [stored] = _corrections(db, records)
    assert stored.note_id == note.id
    assert stored.requested_value == "It was in May."


def test_the_consent_form_stores_a_withdrawal_and_refuses_what_cannot_change(
    client: TestClient,
    records: World,  # noqa: F811
    db: Session,
) -> None:
    def decisions() -> list[tuple[str, bool]]:
        db.expire_all()
        rows = db.scalars(
            select(Consent)
            .where(Consent.client_id == records.own_client.id)
            .where(Consent.intake_id.is_(None))
        )
        return sorted((row.purpose, row.granted) for row in rows)

    csrf = sign_in(client, records.client_user)
    withdrawn = client.post(
        "/me/consents/software_reading",
        data={"csrf_token": csrf, "granted": "no"},
        follow_redirects=False,
    )
    assert withdrawn.status_code == 303
    assert withdrawn.headers["location"] == "/me/consents"
    assert decisions() == [("software_reading", False)]
    needed = client.post(
        "/me/consents/intake_processing", data={"csrf_token": csrf, "granted": "no"}
    )
    assert needed.status_code == 422
    assert "This one cannot be changed here: it is needed to care for you." in needed.text
    unknown = client.post("/me/consents/nonsense", data={"csrf_token": csrf, "granted": "no"})
    assert unknown.status_code == 404
    assert NOT_FOUND in unknown.text
    assert decisions() == [("software_reading", False)]
    page = client.get("/me/consents")
    assert page.status_code == 200


def test_an_erasure_request_shows_its_certificate_link_which_answers_page_and_json(
    client: TestClient,
    records: World,  # noqa: F811
    db: Session,
) -> None:
    csrf = sign_in(client, records.client_user)
    asked = client.post("/me/erasure", data={"csrf_token": csrf})
    assert asked.status_code == 201
    assert "/erasure-certificates/" in asked.text
    link = asked.text.split('href="/erasure-certificates/', 1)[1].split('"', 1)[0]
    db.expire_all()
    [stored] = db.scalars(
        select(ErasureRequest).where(ErasureRequest.client_id == records.own_client.id)
    ).all()
    assert stored.status is ErasureStatus.PENDING
    # A second request while the first waits is refused; the first is untouched.
    again = client.post("/me/erasure", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert "A request to erase this record is already waiting for the clinical lead" in again.text
    db.expire_all()
    assert (
        db.scalar(
            select(func.count())
            .select_from(ErasureRequest)
            .where(ErasureRequest.client_id == records.own_client.id)
        )
        == 1
    )
    # The link works without signing in, as a page and for a program.
    client.cookies.clear()
    page = client.get(f"/erasure-certificates/{link}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "is waiting for the clinical lead's decision" in page.text
    answer = client.get(f"/erasure-certificates/{link}", headers={"Accept": "application/json"})
    assert answer.status_code == 200
    document = answer.json()
    assert document["status"] == "pending"
    assert document["decided_at"] is None
    assert document["certificate"] is None
    assert document["requested_at"] == stored.requested_at.isoformat()
    wrong = client.get(f"/erasure-certificates/{link[:-2]}xx", headers={"Accept": "text/html"})
    assert wrong.status_code == 404
    assert NOT_FOUND in wrong.text


def test_progress_and_appointments_pages_are_the_clients_and_not_staffs(
    client: TestClient,
    records: World,  # noqa: F811
) -> None:
    sign_in(client, records.client_user)
    assert client.get("/me/progress").status_code == 200
    appointments = client.get("/me/appointments")
    assert appointments.status_code == 200
    assert "No appointments booked." not in appointments.text  # the one a week from now
    assert "Coming up" in appointments.text
    notes = client.get("/me/notes")
    assert notes.status_code == 200
    assert "Psychotherapycanary" not in notes.text
    sign_in(client, records.users[Role.CLINICIAN])
    for path in ("/me/progress", "/me/appointments", "/me/consents", "/me/data", "/me/notes"):
        assert client.get(path).status_code == 404, path
