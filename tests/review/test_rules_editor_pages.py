"""The clinical lead's rule editor as pages: the form writes the YAML, errors name the line in
words, a version shows what it changes and its preview, and activation asks for a reason and
a tick naming the version. Others get 404."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alongside.models import AuditEvent, Role, RulesetActivation, RulesetVersion
from alongside.review import rule_editor
from alongside.review.service import review_targets
from alongside.security.access import actor_for
from alongside.triage import rule_changes
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in
from tests.review.review_support import NOW, submitted

SEVERE_CUT_OFF = "t|phq9-severe|when.total_gte"


def _form(db: Session, world: World, csrf: str, **changes: str) -> dict[str, str]:
    """What the browser posts for the form as served, with ``changes`` typed in."""
    lead = world.users[Role.CLINICAL_LEAD]
    state = rule_editor.new_version_form(db, actor=actor_for(db, lead, NOW))
    data = dict(state.shown)
    data.update({f"was|{key}": value for key, value in state.was.items() if key != "version"})
    data.update(yaml_text=state.yaml_text, note="Cut-offs reviewed", csrf_token=csrf)
    data.update(changes)
    return data


def _history(db: Session, world: World) -> None:
    clinician = world.users[Role.CLINICIAN]
    for kind in ("severe", "calm", "severe"):
        submitted(db, clinician, world.own_client, kind, words="", reading=False)


def _saved(db: Session) -> RulesetVersion:
    row = db.scalars(select(RulesetVersion).order_by(RulesetVersion.created_at.desc())).first()
    assert row is not None
    return row


def test_lead_changes_a_cut_off_sees_what_changes_and_activates_with_a_reason(
    client: TestClient, db: Session, world: World
) -> None:
    _history(db, world)
    csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    page = client.get("/rules/new")
    assert page.status_code == 200
    # Each value beside the published source its rule cites.
    assert "Source the rule cites" in page.text
    assert "Kroenke, Spitzer &amp; Williams 2001" in page.text
    created = client.post(
        "/rules/new", data=_form(db, world, csrf, **{SEVERE_CUT_OFF: "25"}), follow_redirects=False
    )
    assert created.status_code == 303, created.text
    row = _saved(db)
    assert row.version == "2.0.1"
    assert "when: {instrument: phq9, total_gte: 25}" in row.yaml_text
    # Only that line (and the version) differ from the active version.
    default = rule_changes.default_yaml_text()
    assert len(set(row.yaml_text.splitlines()) - set(default.splitlines())) == 2
    shown = client.get(created.headers["location"])
    assert shown.status_code == 200
    text = shown.text
    assert "PHQ-9 severe (20-27): PHQ-9 total at least 20 → 25." in text
    assert 'class="diff-added"' in text
    assert 'class="diff-removed"' in text
    assert "total_gte: 25}" in text
    assert "Of the last 3 intakes, 2 would get a different proposal" in text
    assert "Soon</td><td>Routine</td><td>2</td><td>less urgent" in text
    # Examples describe what the intake held, not whose it was.
    assert "PHQ-9 24 (severe)" in text
    assert str(world.own_client.id) not in text

    url = f"/rules/{row.id}/activate"
    nothing = client.post(url, data={"csrf_token": csrf}, follow_redirects=False)
    assert nothing.status_code == 422
    assert "Say why you are activating this version" in nothing.text
    assert "Tick the box confirming that version 2.0.1" in nothing.text
    unticked = client.post(
        url, data={"csrf_token": csrf, "reason": "Audit of severe cut-offs"}, follow_redirects=False
    )
    assert unticked.status_code == 422
    assert "Audit of severe cut-offs" in unticked.text  # the reason is kept on the page
    db.refresh(row)
    assert not row.is_active
    assert db.scalar(select(RulesetActivation)) is None

    done = client.post(
        url,
        data={"csrf_token": csrf, "reason": "Audit of severe cut-offs", "confirm": "2.0.1"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/rules?activated=2.0.1"
    db.refresh(row)
    assert row.is_active
    activation = db.scalar(select(RulesetActivation))
    assert activation is not None
    assert activation.reason == "Audit of severe cut-offs"
    assert activation.previous == "alongside-default 2.0.0"
    event = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.resource_type == "ruleset_version")
        .where(AuditEvent.resource_id == str(row.id))
        .where(AuditEvent.action == "update")
    ).first()
    assert event is not None
    listed = client.get("/rules")
    assert "Audit of severe cut-offs" in listed.text


def test_a_yaml_error_names_the_line_in_words(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    data = _form(db, world, csrf)
    broken = data["yaml_text"].replace(
        "pathway: high-intensity-therapy", "pathway: high-intensity", 1
    )
    line = 1 + broken[: broken.index("pathway: high-intensity\n")].count("\n")
    answer = client.post("/rules/new", data={**data, "yaml_text": broken})
    assert answer.status_code == 422
    assert f"Line {line}: the rule &#39;phq9-severe&#39; names the pathway" in answer.text
    assert "a pathway must be one of crisis-team" in answer.text
    for developer in ("Traceback", "ValidationError", "Input should", "rules.", "loc"):
        assert developer not in answer.text.split('id="yaml-text"')[0], developer
    # The lead's text comes back to be corrected.
    assert "pathway: high-intensity\n" in answer.text
    unreadable = data["yaml_text"].replace("    urgency: soon\n", "    urgency soon\n", 1)
    line = 1 + unreadable[: unreadable.index("    urgency soon")].count("\n")
    answer = client.post("/rules/new", data={**data, "yaml_text": unreadable})
    assert answer.status_code == 422
    assert f"Line {line}: the YAML cannot be read here" in answer.text
    assert db.scalar(select(RulesetVersion)) is None


def test_a_wrong_value_on_the_form_is_named_in_words(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    answer = client.post(
        "/rules/new", data=_form(db, world, csrf, **{SEVERE_CUT_OFF: "twenty", "w|urgent": "0"})
    )
    assert answer.status_code == 422
    assert "PHQ-9 severe (20-27): a cut-off is a whole number from 0 to 1000" in answer.text
    assert "Wait target for urgent: a number of hours" in answer.text
    # What the lead typed stays in the form.
    assert 'value="twenty"' in answer.text
    assert db.scalar(select(RulesetVersion)) is None


WHO5_BANDS = "b|who5-low-wellbeing|when.severity_in"


def test_the_form_edits_urgencies_and_chooses_bands_among_the_published_ones(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    page = client.get("/rules/new").text
    # Each band a box, with its published range; the page says the bands cannot be made up.
    assert f'name="{WHO5_BANDS}" value="likely depression" checked' in page
    assert f'name="{WHO5_BANDS}" value="adequate wellbeing">' in page
    assert "poor wellbeing (29-50)" in page
    assert "so no rule can make up a band of\n      its own" in page
    assert 'name="u|phq9-severe"' in page
    # The browser posts the ticked boxes under one name; the urgency as chosen.
    data = _form(db, world, csrf, **{"u|phq9-severe": "urgent"})
    posted = [(key, value) for key, value in data.items() if key != WHO5_BANDS]
    posted.append((WHO5_BANDS, "likely depression"))
    created = client.post(
        "/rules/new",
        content=urlencode(posted),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    row = _saved(db)
    assert "when: {instrument: who5, severity_in: [likely depression]}" in row.yaml_text
    shown = client.get(f"/rules/{row.id}").text
    assert "PHQ-9 severe (20-27): urgency Soon → Urgent." in shown
    assert "fires in these bands likely depression, poor wellbeing → likely depression." in shown
    # No box ticked at all: said in words, nothing saved.
    posted = [(key, value) for key, value in data.items() if key != WHO5_BANDS]
    posted = [(key, "2.0.2" if key == "version" else value) for key, value in posted]
    refused = client.post(
        "/rules/new",
        content=urlencode(posted),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert refused.status_code == 422
    assert "WHO-5 low wellbeing (50 or below): tick at least one band" in refused.text
    assert db.scalar(select(func.count()).select_from(RulesetVersion)) == 1


def _activate(client: TestClient, csrf: str, row: RulesetVersion, reason: str) -> None:
    done = client.post(
        f"/rules/{row.id}/activate",
        data={"csrf_token": csrf, "reason": reason, "confirm": row.version},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def _oversight_target(client: TestClient, urgency: str) -> str:
    """The wait target the oversight page shows for an urgency, as written there."""
    page = client.get("/oversight").text
    found = re.search(rf"<tr><td>{urgency}</td><td>([^<]+)</td></tr>", page)
    assert found, page
    return found.group(1)


def test_wait_targets_changed_in_the_rules_are_the_ones_oversight_and_the_queue_use(
    client: TestClient, db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    waiting = submitted(db, clinician, world.own_client, "urgent", words="", reading=False)
    csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    # Positive control: before any change, the defaults everywhere.
    assert _oversight_target(client, "Urgent") == "1 d"
    assert "Alongside's defaults apply" in client.get("/oversight").text
    created = client.post(
        "/rules/new", data=_form(db, world, csrf, **{"w|urgent": "12"}), follow_redirects=False
    )
    assert created.status_code == 303, created.text
    row = _saved(db)
    assert "wait_targets:\n  crisis: 1\n  urgent: 12\n" in row.yaml_text
    shown = client.get(f"/rules/{row.id}")
    assert "Wait target for urgent proposals: 24 → 12 hours to first review." in shown.text
    # Saved is not in force: oversight and the queue still measure against 24 hours.
    org = world.users[Role.CLINICAL_LEAD].organization_id
    assert review_targets(db, org)["urgent"].total_seconds() == 24 * 3600
    assert _oversight_target(client, "Urgent") == "1 d"
    _activate(client, csrf, row, "Urgent cases reviewed sooner")
    assert review_targets(db, org)["urgent"].total_seconds() == 12 * 3600
    assert _oversight_target(client, "Urgent") == "12 h"
    assert "(version\n    2.0.1)" in client.get("/oversight").text
    activation = db.scalar(select(RulesetActivation))
    assert activation is not None
    assert activation.wait_targets == {"crisis": 60, "urgent": 720, "soon": 10080, "routine": 40320}
    assert "the wait targets changed with it" in client.get("/rules").text
    sign_in(client, clinician)
    queue = client.get("/api/review/queue").json()["items"]
    assert [(i["suggestion_id"], i["target_minutes"]) for i in queue] == [(str(waiting.id), 720)]
    # The next form starts from the targets in force.
    assert _form(db, world, csrf)["w|urgent"] == "12"


def test_the_oversight_page_cannot_set_wait_targets_of_its_own(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    page = client.get("/oversight").text
    assert 'name="target_urgent"' not in page
    assert 'href="/rules/new#waits-heading">Change the wait targets</a>' in page
    # A post in the old form's shape: the escalation time is saved, the targets are not.
    saved = client.post(
        "/oversight/settings",
        data={"csrf_token": csrf, "target_urgent": "2", "escalation_minutes": "20"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    org = world.users[Role.CLINICAL_LEAD].organization_id
    assert review_targets(db, org)["urgent"].total_seconds() == 24 * 3600
    figures = client.get("/api/oversight").json()
    assert figures["escalation_minutes"] == 20
    assert figures["targets_minutes"]["urgent"] == 24 * 60
    audited = db.scalars(
        select(AuditEvent.action).where(AuditEvent.resource_type == "review_settings")
    ).all()
    assert audited == ["update"]


def test_a_version_without_wait_targets_says_it_brings_back_the_defaults(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    client.post("/rules/new", data=_form(db, world, csrf, **{"w|urgent": "12"}))
    first = _saved(db)
    _activate(client, csrf, first, "Urgent cases reviewed sooner")
    # A version written without the targets (the YAML alone, as the API or an old file has it).
    text = rule_changes.default_yaml_text().replace('version: "2.0.0"', 'version: "2.0.9"', 1)
    headers = {"X-CSRF-Token": csrf}
    created = client.post("/api/rules/versions", json={"yaml_text": text}, headers=headers)
    assert created.status_code == 201
    bare = db.get(RulesetVersion, uuid.UUID(created.json()["id"]))
    assert bare is not None
    shown = client.get(f"/rules/{bare.id}").text
    assert "Wait target for urgent proposals: 12 → 24 hours to first review." in shown
    assert "This version sets no wait targets of its own" in shown
    assert "Alongside's defaults, as the version sets none of its own" in shown
    # The version that sets them says so, and its own page lists them as its own.
    mine = client.get(f"/rules/{first.id}").text
    assert "This version sets no wait targets" not in mine
    assert "urgent 12, soon 168" in mine
    _activate(client, csrf, bare, "Back to the shipped rules")
    org = world.users[Role.CLINICAL_LEAD].organization_id
    assert review_targets(db, org)["urgent"].total_seconds() == 24 * 3600
    assert _oversight_target(client, "Urgent") == "1 d"


def test_the_api_refuses_an_activation_without_a_reason(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    headers = {"X-CSRF-Token": csrf}
    text = rule_changes.default_yaml_text().replace('version: "2.0.0"', 'version: "2.0.5"', 1)
    created = client.post(
        "/api/rules/versions", json={"yaml_text": text, "note": "api"}, headers=headers
    )
    assert created.status_code == 201
    url = f"/api/rules/versions/{created.json()['id']}/activate"
    for body in (None, {}, {"reason": "  "}):
        refused = client.post(url, json=body, headers=headers)
        assert refused.status_code == 422, body
        assert "Say why you are activating this version" in refused.json()["error"]
    done = client.post(url, json={"reason": "Matches the paper rules"}, headers=headers)
    assert done.status_code == 200
    assert done.json()["is_active"] is True
    again = client.post(url, json={"reason": "Matches the paper rules"}, headers=headers)
    assert again.status_code == 409
    # The API says what is wrong with a ruleset in words too, with the line.
    broken = text.replace("urgency: soon", "urgency: asap", 1).replace("2.0.5", "2.0.6")
    answer = client.post("/api/rules/versions", json={"yaml_text": broken}, headers=headers)
    assert answer.status_code == 422
    assert re.search(
        r"Line \d+: in the rule 'phq9-severe', an urgency must be one of", str(answer.json())
    )


def test_the_rule_editor_is_the_clinical_leads_alone(
    client: TestClient, db: Session, world: World
) -> None:
    lead = world.users[Role.CLINICAL_LEAD]
    text = rule_changes.default_yaml_text().replace('version: "2.0.0"', 'version: "2.0.7"', 1)
    row = rule_changes.create_version(
        db, user=lead, actor=actor_for(db, lead, NOW), yaml_text=text, note="", now=NOW
    )
    for role in (Role.CLINICIAN, Role.COORDINATOR, Role.ADMIN, Role.CLIENT):
        csrf = sign_in(client, world.users[role])
        requests: list[tuple[str, str, dict[str, Any] | None]] = [
            ("GET", "/rules/new", None),
            ("POST", "/rules/new", _form(db, world, csrf)),
            ("GET", f"/rules/{row.id}", None),
            (
                "POST",
                f"/rules/{row.id}/activate",
                {"csrf_token": csrf, "reason": "x" * 20, "confirm": "2.0.7"},
            ),
        ]
        for method, url, data in requests:
            answer = client.request(method, url, data=data, follow_redirects=False)
            assert answer.status_code == 404, (role, method, url)
    db.refresh(row)
    assert not row.is_active
    # The positive control: the lead reaches the same pages.
    sign_in(client, lead)
    assert client.get(f"/rules/{row.id}").status_code == 200
    assert client.get("/rules/new").status_code == 200
