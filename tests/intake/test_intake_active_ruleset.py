"""New intakes are triaged with the organisation's active ruleset version."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from alongside.intake import service
from alongside.models import Role, Suggestion
from alongside.security.access import actor_for
from alongside.triage import rule_changes
from tests.fixtures.factories import World
from tests.intake.conftest import CRISIS, NOW, complete


def _submit(db: Session, created: service.CreatedIntake) -> Suggestion:
    complete(db, created.intake, CRISIS, reading=False)
    outcome = service.submit_intake(
        db, created.intake, now=NOW, case_url_base="https://clinic.test", oncall_webhook=False
    )
    suggestion = db.get(Suggestion, outcome.suggestion_id)
    assert suggestion is not None
    return suggestion


def test_an_activated_version_triages_new_intakes(
    db: Session, world: World, created: service.CreatedIntake
) -> None:
    lead = world.users[Role.CLINICAL_LEAD]
    actor = actor_for(db, lead, NOW)
    text = rule_changes.default_yaml_text().replace('version: "2.0.0"', 'version: "1.1.0"', 1)
    assert "1.1.0" in text
    row = rule_changes.create_version(
        db, user=lead, actor=actor, yaml_text=text, note="local review", now=NOW
    )
    rule_changes.activate_version(
        db, user=lead, actor=actor, version_id=row.id, reason="Local review of the rules", now=NOW
    )
    suggestion = _submit(db, created)
    assert suggestion.versions["ruleset_version"] == "1.1.0"


def test_a_broken_active_version_falls_back_to_the_default(
    db: Session, world: World, created: service.CreatedIntake, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("unreadable rules")

    monkeypatch.setattr(rule_changes, "active_ruleset", broken)
    suggestion = _submit(db, created)
    assert suggestion.urgency == "crisis"
    assert suggestion.versions["ruleset_version"] == "2.0.0"
