"""Pages and API: charts inline, plan form without JavaScript, 404 for everyone else, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from alongside.instruments import score_instrument
from alongside.kit.time import utcnow
from alongside.measures.demo import answers_for
from alongside.models import AuditEvent, MeasurementPlan, Role, Score
from tests.fixtures.web import sign_in


def add_score(db, client, instrument, total, when):
    """A stored score as intake submission stores it."""
    result = score_instrument(instrument, answers_for(instrument, total))
    db.add(
        Score(
            organization_id=client.organization_id,
            client_id=client.id,
            instrument_id=instrument,
            instrument_version=result.version,
            total=result.total,
            severity=result.severity,
            flags=[],
            result="{}",
            scored_at=when,
        )
    )
    db.flush()


@pytest.fixture
def scored(db, world):
    """The world's own client with a reliably deteriorating PHQ-9 and an improving GAD-7."""
    now = utcnow()
    for weeks, (phq9, gad7) in enumerate([(8, 14), (10, 11), (15, 9)]):
        when = now - timedelta(weeks=3 - weeks)
        add_score(db, world.own_client, "phq9", phq9, when)
        add_score(db, world.own_client, "gad7", gad7, when)
    return world


def test_measures_page_shows_charts_and_tables(client, scored):
    sign_in(client, scored.users[Role.CLINICIAN])
    response = client.get(f"/clients/{scored.own_client.id}/measures")
    assert response.status_code == 200
    page = response.text
    assert page.count("<svg") == 2
    assert 'id="measures-chart-phq9"' in page
    assert "<caption>PHQ-9 scores, oldest first</caption>" in page
    assert "reliable deterioration" in page
    # The pair disagrees with the PHQ-9 alone: NHS Talking Therapies judges them together.
    paired = page.split('id="paired-heading"')[1].split("</section>")[0]
    assert "NHS Talking Therapies, PHQ-9 and GAD-7 together" in paired
    assert "no reliable change" in paired
    assert "First to latest, per instrument: <strong>reliable deterioration</strong>" in page
    assert "Needs your attention" in page
    assert "<script>" not in page
    assert 'name="instruments"' in page  # the plan editor, for the care team
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp


def test_api_gives_the_same_data(client, scored):
    sign_in(client, scored.users[Role.CLINICIAN])
    response = client.get(f"/api/clients/{scored.own_client.id}/measures")
    assert response.status_code == 200
    body = response.json()
    assert [t["instrument"] for t in body["trends"]] == ["phq9", "gad7"]
    phq9 = body["trends"][0]
    assert [p["total"] for p in phq9["points"]] == [8, 10, 15]
    assert phq9["outcome"] == "reliable deterioration"
    assert phq9["latest_deteriorated"] is True
    assert body["trends"][1]["outcome"] == "reliable improvement"
    assert body["can_edit_plan"] is True


@pytest.mark.parametrize("who", ["outside_clinician", "coordinator", "admin", "client_user"])
def test_others_get_404(client, scored, who):
    user = {
        "outside_clinician": scored.other_clinician,
        "coordinator": scored.users[Role.COORDINATOR],
        "admin": scored.users[Role.ADMIN],
        "client_user": scored.client_user,
    }[who]
    sign_in(client, user)
    for path in (
        f"/clients/{scored.own_client.id}/measures",
        f"/api/clients/{scored.own_client.id}/measures",
    ):
        assert client.get(path).status_code == 404


def test_other_organisations_and_bad_ids_get_404(client, scored):
    sign_in(client, scored.users[Role.CLINICAL_LEAD])
    assert client.get(f"/clients/{scored.foreign_client.id}/measures").status_code == 404
    assert client.get("/api/clients/not-a-uuid/measures").status_code == 404
    # The lead is not on this client's care team: clinical content stays with the team.
    assert client.get(f"/api/clients/{scored.own_client.id}/measures").status_code == 404


def test_plan_form_without_javascript(client, db, scored):
    csrf = sign_in(client, scored.users[Role.CLINICIAN])
    path = f"/clients/{scored.own_client.id}/measures/plan"
    form = {
        "csrf_token": csrf,
        "instruments": ["phq9", "gad7"],
        "cadence": "interval",
        "interval_days": "14",
        "lead_hours": "48",
        "active": "yes",
    }
    response = client.post(path, data=form, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/clients/{scored.own_client.id}/measures")
    plan = db.scalar(
        select(MeasurementPlan).where(MeasurementPlan.client_id == scored.own_client.id)
    )
    assert plan.instruments == ["phq9", "gad7"]
    assert plan.interval_days == 14
    page = client.get(response.headers["location"]).text
    assert "The plan was saved." in page
    bad = client.post(path, data={**form, "interval_days": "zero"})
    assert bad.status_code == 422
    assert "Days between questionnaires: enter a whole number." in bad.text


def test_plan_api_and_refusal(client, scored):
    csrf = sign_in(client, scored.users[Role.CLINICIAN])
    body = {"instruments": ["gad7"], "cadence": "before_session", "lead_hours": 24}
    response = client.put(
        f"/api/clients/{scored.own_client.id}/measures/plan",
        json=body,
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 200
    assert response.json()["cadence"] == "before_session"
    assert response.json()["lead_hours"] == 24
    refused = client.put(
        f"/api/clients/{scored.outside_client.id}/measures/plan",
        json=body,
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 404


def test_attention_page_and_api(client, db, scored):
    sign_in(client, scored.users[Role.CLINICIAN])
    page = client.get("/measures/attention")
    assert page.status_code == 200
    assert scored.own_client.given_name in page.text
    assert "PHQ-9: reliable deterioration, 10 to 15" not in page.text  # +5 from previous
    assert "PHQ-9: reliable deterioration, 8 to 15" in page.text
    api = client.get("/api/measures/attention").json()
    assert [e["client_id"] for e in api] == [str(scored.own_client.id)]
    events = list(
        db.scalars(
            select(AuditEvent.resource_type).where(AuditEvent.resource_type == "measures_attention")
        )
    )
    assert len(events) == 2


def test_attention_list_404_for_coordinators(client, scored):
    sign_in(client, scored.users[Role.COORDINATOR])
    assert client.get("/measures/attention").status_code == 404
    assert client.get("/api/measures/attention").status_code == 404


def test_client_page_embeds_the_section_for_the_care_team_only(client, scored):
    sign_in(client, scored.users[Role.CLINICIAN])
    page = client.get(f"/clients/{scored.own_client.id}").text
    assert 'id="measures-section-heading"' in page
    assert "latest is a reliable deterioration" in page


def test_coordinator_sees_the_client_page_without_measures(client, scored):
    sign_in(client, scored.users[Role.COORDINATOR])
    response = client.get(f"/clients/{scored.own_client.id}")
    assert response.status_code == 200
    assert "measures-section-heading" not in response.text


def test_reads_are_audited(client, db, scored):
    sign_in(client, scored.users[Role.CLINICIAN])
    client.get(f"/clients/{scored.own_client.id}/measures")
    events = list(
        db.scalars(
            select(AuditEvent).where(
                AuditEvent.resource_type == "measures",
                AuditEvent.client_id == scored.own_client.id,
            )
        )
    )
    assert len(events) == 1
    assert events[0].action == "read"
