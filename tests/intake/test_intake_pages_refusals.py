"""The intake pages refuse in words and lose nothing: a link that does not work says so on every
step; pages that do not exist are 404; steps before consent go back to consent; words too long
and a submission with questionnaires unanswered are refused with what was written kept; the
staff form refuses a bad expiry or a client not on its list."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alongside.intake import service
from alongside.intake.service import MAX_OWN_WORDS
from alongside.kit.time import utcnow
from alongside.models import Intake, Role, Suggestion
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in


def _link(db: Session, world: World) -> str:
    created = service.create_intake(
        db, actor=world.users[Role.CLINICIAN], client_id=world.own_client.id, now=utcnow()
    )
    db.commit()
    return created.path


def _consent(client: TestClient, path: str) -> None:
    given = client.post(
        f"{path}/consent",
        data={"intake_processing": "yes", "software_reading": "no"},
        follow_redirects=False,
    )
    assert given.status_code == 303


def _intake(db: Session) -> Intake:
    db.expire_all()
    return db.scalars(select(Intake)).one()


@pytest.mark.parametrize(
    ("method", "step"),
    [
        ("post", "consent"),
        ("get", "questions/phq9"),
        ("post", "questions/phq9"),
        ("get", "words"),
        ("post", "words"),
        ("get", "review"),
        ("post", "submit"),
    ],
)
def test_a_link_that_does_not_work_says_so_on_every_step(
    client: TestClient, method: str, step: str
) -> None:
    answer = client.request(method, f"/intake/not-a-real-token/{step}", data={"part": "0"})
    assert answer.status_code == 404
    assert "contact the clinic" in answer.text
    assert "Traceback" not in answer.text


def test_every_step_before_consent_goes_back_to_consent(
    client: TestClient, db: Session, world: World
) -> None:
    path = _link(db, world)
    for step in ("questions/phq9", "words", "review"):
        answer = client.get(f"{path}/{step}", follow_redirects=False)
        assert answer.status_code == 303, step
        assert answer.headers["location"] == path, step


def test_a_questionnaire_page_that_does_not_exist_is_not_found(
    client: TestClient, db: Session, world: World
) -> None:
    path = _link(db, world)
    _consent(client, path)
    for part in ("two", "99", "-1"):
        page = client.get(f"{path}/questions/phq9", params={"part": part})
        assert page.status_code == 404, part
        assert "This questionnaire has no such page." in page.text
    other = client.get(f"{path}/questions/not-in-this-intake")
    assert other.status_code == 404
    assert "This intake does not include that questionnaire." in other.text
    assert client.get(f"{path}/questions/phq9", params={"part": "0"}).status_code == 200


def test_words_too_long_are_refused_and_kept_on_the_page_and_nothing_is_stored(
    client: TestClient, db: Session, world: World
) -> None:
    path = _link(db, world)
    _consent(client, path)
    assert client.post(f"{path}/words", data={"own_words": "First draft."}).status_code == 200
    assert _intake(db).own_words == "First draft."
    long = "Sleep " * (MAX_OWN_WORDS // 6 + 1)
    refused = client.post(f"{path}/words", data={"own_words": long})
    assert refused.status_code == 422
    assert f"please keep to {MAX_OWN_WORDS:,} characters" in refused.text
    assert long.strip()[:60] in refused.text  # what they wrote is there to shorten
    assert _intake(db).own_words == "First draft."
    page = client.get(f"{path}/words")
    assert page.status_code == 200
    assert "First draft." in page.text


def test_a_submission_with_questionnaires_unanswered_is_refused_and_not_sent(
    client: TestClient, db: Session, world: World
) -> None:
    path = _link(db, world)
    _consent(client, path)
    review = client.get(f"{path}/review")
    assert review.status_code == 200
    refused = client.post(f"{path}/submit")
    assert refused.status_code == 422
    assert "<title>Error:" in refused.text
    assert 'role="alert"' in refused.text
    intake = _intake(db)
    assert intake.submitted_at is None
    assert db.scalar(select(func.count()).select_from(Suggestion)) == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"expires_in_days": "a fortnight"}, "enter a number of days from 1 to 90"),
        ({"expires_in_days": "0"}, "enter a number of days from 1 to 90"),
        ({"expires_in_days": "91"}, "enter a number of days from 1 to 90"),
        ({"client_id": "the new one"}, "choose from the list"),
        ({"reviewer_id": "dr-who"}, "choose from the list"),
        ({"send_by": "pigeon"}, "Sending the link: choose one of the ways offered."),
    ],
)
def test_the_staff_form_refuses_a_bad_value_in_words_and_makes_no_link(
    client: TestClient, db: Session, world: World, fields: dict[str, str], message: str
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    data = {
        "csrf_token": csrf,
        "given_name": "Lior",
        "family_name": "Ben-David",
        "expires_in_days": "7",
        **fields,
    }
    refused = client.post("/intakes/new", data=data)
    assert refused.status_code == 422
    assert message in refused.text
    assert "_id:" not in refused.text  # no field names, only words
    assert 'value="Lior"' in refused.text  # what was typed is kept
    assert db.scalar(select(func.count()).select_from(Intake)) == 0
