"""The client's flow over plain form posts (no JavaScript), and the staff form and API."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.intake import service
from alongside.kit.time import utcnow
from alongside.models import Intake, OutboxMessage, Role, Suggestion
from tests.fixtures.factories import World, create_staff
from tests.fixtures.web import sign_in
from tests.intake.conftest import CALM, CRISIS


def _link(db: Session, world: World) -> str:
    created = service.create_intake(
        db, actor=world.users[Role.CLINICIAN], client_id=world.own_client.id, now=utcnow()
    )
    return created.path


def _walk(client: TestClient, path: str, answers: dict[str, dict[str, int]], words: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert "Before you start" in page.text
    response = client.post(
        f"{path}/consent",
        data={"intake_processing": "yes", "software_reading": "yes"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    location = response.headers["location"]
    while "/questions/" in location:
        page = client.get(location)
        assert page.status_code == 200
        instrument = location.split("/questions/")[1].split("?")[0]
        part = re.search(r'name="part" value="(\d+)"', page.text)
        assert part is not None
        names = set(re.findall(r'type="radio" id="[^"]+" name="([a-z0-9_]+)"', page.text))
        form = {name: str(answers[instrument][name]) for name in names}
        form["part"] = part.group(1)
        response = client.post(location.split("?")[0], data=form, follow_redirects=False)
        assert response.status_code == 303, response.text
        location = response.headers["location"]
    assert location.endswith("/words")
    response = client.post(location, data={"own_words": words}, follow_redirects=False)
    assert response.headers["location"].endswith("/review")


def test_whole_flow_without_javascript(client: TestClient, db: Session, world: World) -> None:
    path = _link(db, world)
    _walk(client, path, CALM, "Work has been hard.")
    # Resume: the start of the link sends the client to where they left off.
    resumed = client.get(path, follow_redirects=False)
    assert resumed.headers["location"].endswith("/review")
    review = client.get(f"{path}/review")
    assert "Work has been hard." in review.text
    assert "Little interest or pleasure in doing things" in review.text
    done = client.post(f"{path}/submit")
    assert done.status_code == 200
    assert "Your answers were received" in done.text
    assert "What happens next" in done.text
    assert "988" in done.text  # crisis resources are always listed at the bottom
    assert "Please get help now" not in done.text
    # Nothing proposed is shown to the client.
    suggestion = db.scalar(select(Suggestion))
    assert suggestion is not None
    assert suggestion.pathway not in done.text
    again = client.get(path)
    assert again.status_code == 410
    assert "Your answers were received" in again.text
    assert client.post(f"{path}/submit").status_code == 410


def test_crisis_submission_shows_resources_in_the_same_response(
    client: TestClient, db: Session, world: World
) -> None:
    path = _link(db, world)
    _walk(client, path, CRISIS, "")
    done = client.post(f"{path}/submit")
    assert done.status_code == 200
    assert "If you are in immediate danger, call emergency services now." in done.text
    assert "988" in done.text
    assert "911" in done.text
    assert "clinician from the service is being contacted" in done.text
    assert len(db.scalars(select(OutboxMessage)).all()) == 1


def test_missing_answer_names_the_question_and_links_to_it(
    client: TestClient, db: Session, world: World
) -> None:
    path = _link(db, world)
    client.post(f"{path}/consent", data={"intake_processing": "yes", "software_reading": "no"})
    form = {f"q{i}": "1" for i in range(1, 10) if i != 3} | {"part": "0"}
    page = client.post(f"{path}/questions/phq9", data=form)
    assert page.status_code == 422
    assert "Question 3: please choose an answer" in page.text
    assert 'href="#phq9-q3-0"' in page.text
    assert 'id="phq9-q3-0"' in page.text
    assert "<title>Error:" in page.text
    # What the client did choose is kept.
    assert re.search(r'id="phq9-q1-1" name="q1" value="1" checked', page.text)


def test_consent_page_requires_the_processing_agreement(
    client: TestClient, db: Session, world: World
) -> None:
    path = _link(db, world)
    page = client.post(f"{path}/consent", data={"software_reading": "yes"})
    assert page.status_code == 422
    assert 'href="#consent-processing"' in page.text
    assert client.get(f"{path}/questions/phq9", follow_redirects=False).status_code == 303


def test_expired_and_unknown_links_say_to_contact_the_clinic(
    client: TestClient, db: Session, world: World
) -> None:
    path = _link(db, world)
    intake = db.scalar(select(Intake))
    assert intake is not None
    intake.expires_at = utcnow() - timedelta(minutes=1)
    db.flush()
    expired = client.get(path)
    assert expired.status_code == 410
    assert "contact the clinic" in expired.text
    unknown = client.get("/intake/not-a-real-token")
    assert unknown.status_code == 404
    assert "contact the clinic" in unknown.text


def test_cssrs_second_page_only_after_yes_to_question_2(
    client: TestClient, db: Session, world: World
) -> None:
    path = _link(db, world)
    client.post(f"{path}/consent", data={"intake_processing": "yes", "software_reading": "yes"})
    first = client.get(f"{path}/questions/cssrs-screen")
    assert 'name="q2"' in first.text
    assert 'name="q3"' not in first.text
    response = client.post(
        f"{path}/questions/cssrs-screen",
        data={"q1": "0", "q2": "0", "part": "0"},
        follow_redirects=False,
    )
    second = client.get(response.headers["location"])
    assert 'name="q6"' in second.text
    assert 'name="q3"' not in second.text
    assert "not asked" in second.text


def test_api_creates_a_link_once_and_refuses_other_organisations(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    response = client.post(
        "/api/intakes",
        json={
            "new_client": {"given_name": "Noor", "family_name": "Haddad"},
            "reviewer_id": str(world.users[Role.CLINICIAN].id),
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["instruments"] == ["phq9", "gad7", "cssrs-screen"]
    token = body["url"].rsplit("/", 1)[1]
    assert client.get(f"/intake/{token}").status_code == 200
    refused = client.post(
        "/api/intakes",
        json={
            "client_id": str(world.foreign_client.id),
            "reviewer_id": str(world.users[Role.CLINICIAN].id),
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 404


def test_staff_page_creates_a_link(client: TestClient, db: Session, world: World) -> None:
    clinician = create_staff(db, world.org, Role.CLINICIAN)
    csrf = sign_in(client, clinician)
    page = client.get("/intakes/new")
    assert page.status_code == 200
    assert 'for="reviewer_id"' in page.text
    created = client.post(
        "/intakes/new",
        data={
            "csrf_token": csrf,
            "given_name": "Lior",
            "family_name": "Ben-David",
            "instruments": ["phq9", "gad7", "cssrs-screen"],
            "reviewer_id": str(clinician.id),
            "expires_in_days": "7",
        },
    )
    assert created.status_code == 201
    assert "/intake/" in created.text
    missing = client.post(
        "/intakes/new", data={"csrf_token": csrf, "reviewer_id": str(clinician.id)}
    )
    assert missing.status_code == 422
    assert "names are both needed" in missing.text


def test_admin_has_no_intake_page(client: TestClient, world: World) -> None:
    sign_in(client, world.users[Role.ADMIN])
    assert client.get("/intakes/new").status_code == 404


def test_cssrs_pages_speak_to_the_client_not_the_interviewer(
    client: TestClient, db: Session, world: World
) -> None:
    path = _link(db, world)
    client.post(f"{path}/consent", data={"intake_processing": "yes", "software_reading": "yes"})
    first = client.get(f"{path}/questions/cssrs-screen")
    assert "Please answer yes or no to each question" in first.text
    assert "Questions 1 to 5 are about the past month" in first.text
    assert "In the past month:</span> Have you wished you were dead" in first.text
    response = client.post(
        f"{path}/questions/cssrs-screen",
        data={"q1": "0", "q2": "0", "part": "0"},
        follow_redirects=False,
    )
    second = client.get(response.headers["location"])
    assert "In your lifetime:</span> Have you ever done anything" in second.text
    assert "Examples: Collected pills, obtained a gun, gave away valuables" in second.text
    for page in (first, second):
        assert "Ask questions" not in page.text
        assert "ask whether" not in page.text.lower()
