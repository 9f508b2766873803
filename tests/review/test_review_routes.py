"""The review API and pages: who may see and decide, reasons, 409, and the forms without JS."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.models import CrisisAlert, Decision, Role
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in
from tests.review.review_support import submitted


def test_queue_and_case_through_the_api(client: TestClient, db: Session, world: World) -> None:
    suggestion = submitted(db, world.users[Role.CLINICIAN], world.own_client, "crisis")
    sign_in(client, world.users[Role.CLINICIAN])
    queue = client.get("/api/review/queue")
    assert queue.status_code == 200
    assert [row["suggestion_id"] for row in queue.json()["items"]] == [str(suggestion.id)]
    assert queue.json()["items"][0]["target_minutes"] == 60
    case = client.get(f"/api/review/{suggestion.id}")
    assert case.status_code == 200
    body = case.json()
    assert body["proposal"]["urgency"] == "crisis"
    assert body["alert"]["acknowledged_at"] is None
    assert {item["instrument_id"] for item in body["instruments"]} >= {"phq9", "cssrs-screen"}


def test_roles_without_the_permission_get_404(
    client: TestClient, db: Session, world: World
) -> None:
    suggestion = submitted(db, world.users[Role.CLINICIAN], world.own_client)
    others = [world.other_clinician] + [
        world.users[role] for role in (Role.COORDINATOR, Role.ADMIN, Role.CLIENT)
    ]
    for user in others:
        csrf = sign_in(client, user)
        headers = {"X-CSRF-Token": csrf}
        assert client.get(f"/api/review/{suggestion.id}").status_code == 404
        decided = client.post(
            f"/api/review/{suggestion.id}/decision", json={"outcome": "accepted"}, headers=headers
        )
        assert decided.status_code == 404, user.role
        assert client.get(f"/review/{suggestion.id}").status_code == 404
        assert str(suggestion.id) not in client.get("/api/review/queue").text
    assert db.scalar(select(Decision)) is None


def test_decision_needs_a_reason_and_happens_once(
    client: TestClient, db: Session, world: World
) -> None:
    suggestion = submitted(db, world.users[Role.CLINICIAN], world.own_client)
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    headers = {"X-CSRF-Token": csrf}
    url = f"/api/review/{suggestion.id}/decision"
    missing = client.post(url, json={"outcome": "rejected"}, headers=headers)
    assert missing.status_code == 422
    assert "reason" in missing.text
    done = client.post(
        url, json={"outcome": "rejected", "reason": "Seen elsewhere."}, headers=headers
    )
    assert done.status_code == 201
    assert done.json()["outcome"] == "rejected"
    again = client.post(url, json={"outcome": "accepted"}, headers=headers)
    assert again.status_code == 409


def test_pages_work_without_javascript(client: TestClient, db: Session, world: World) -> None:
    routine = submitted(db, world.users[Role.CLINICIAN], world.own_client, reading=False)
    crisis = submitted(db, world.users[Role.CLINICIAN], world.own_client, "crisis")
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    queue = client.get("/review")
    assert queue.status_code == 200
    assert queue.text.index(str(crisis.id)) < queue.text.index(str(routine.id))
    page = client.get(f"/review/{routine.id}")
    assert page.status_code == 200
    assert "Record decision" in page.text
    refused = client.post(
        f"/review/{routine.id}/decision",
        data={"csrf_token": csrf, "outcome": "amended", "urgency": "urgent", "reason": ""},
    )
    assert refused.status_code == 422
    assert "say why you amend" in refused.text
    accepted = client.post(
        f"/review/{routine.id}/decision",
        data={"csrf_token": csrf, "outcome": "accepted"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/review?decided=accepted"
    # The alert link in the on-call email leads to the case.
    link = client.get(f"/review/intakes/{crisis.intake_id}", follow_redirects=False)
    assert link.headers["location"] == f"/review/{crisis.id}"
    assert "Not acknowledged yet" in client.get(f"/review/{crisis.id}").text
    alert = db.scalar(select(CrisisAlert).where(CrisisAlert.suggestion_id == crisis.id))
    assert alert is not None
    ack = client.post(
        f"/review/alerts/{alert.id}/acknowledge",
        data={"csrf_token": csrf, "action": "no_answer", "back": f"/review/{crisis.id}"},
        follow_redirects=False,
    )
    assert ack.status_code == 303
    shown = client.get(f"/review/{crisis.id}")
    assert "Action taken: <strong>No answer</strong>" in shown.text


def test_rules_and_oversight_are_the_clinical_leads(
    client: TestClient, db: Session, world: World
) -> None:
    submitted(db, world.users[Role.CLINICIAN], world.own_client)
    sign_in(client, world.users[Role.CLINICIAN])
    for path in ("/rules", "/rules/new", "/oversight", "/api/oversight", "/api/rules/versions"):
        assert client.get(path).status_code == 404, path
    csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    assert client.get("/oversight").status_code == 200
    assert client.get("/api/oversight").json()["overall"]["decided"] == 0
    new = client.get("/rules/new")
    assert new.status_code == 200
    assert "ruleset" in new.text
    # Wait targets are part of the rules: the settings refuse them, in words, and change nothing.
    refused = client.put(
        "/api/oversight/settings",
        json={"urgent": 600, "escalation_minutes": 10},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 422
    assert "part of the triage rules" in refused.json()["error"]
    figures = client.get("/api/oversight").json()
    assert figures["escalation_minutes"] == 15
    assert figures["targets_minutes"]["urgent"] == 24 * 60
    saved = client.put(
        "/api/oversight/settings",
        json={"escalation_minutes": 10},
        headers={"X-CSRF-Token": csrf},
    )
    assert saved.status_code == 204
    assert client.get("/api/oversight").json()["escalation_minutes"] == 10
