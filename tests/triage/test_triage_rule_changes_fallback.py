"""Wait targets still measure when the active ruleset version can no longer be read."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.orm import Session

from alongside.models import RulesetVersion
from alongside.triage.rule_changes import default_yaml_text, wait_targets_in_force
from alongside.triage.rulesets import default_ruleset
from tests.fixtures.factories import World


def _store(db: Session, world: World, yaml_text: str, version: str) -> None:
    db.add(
        RulesetVersion(
            organization_id=world.org.id,
            ruleset_id="clinic-rules",
            version=version,
            yaml_text=yaml_text,
            is_active=True,
        )
    )
    db.flush()


def test_an_unreadable_active_version_falls_back_to_the_defaults_and_says_so(
    db: Session, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # Stored under an older schema that this one rejects (a key it no longer knows).
    unreadable = default_yaml_text().replace("description: >", "retired_key: 1\ndescription: >", 1)
    _store(db, world, unreadable, "0.9")
    with caplog.at_level(logging.ERROR):
        targets = wait_targets_in_force(db, world.org.id)
    assert targets.hours == default_ruleset().wait_hours()
    assert targets.own is False
    assert targets.version.endswith("0.9")
    assert any(r.getMessage() == "active_ruleset_unreadable" for r in caplog.records)


def test_a_readable_active_version_gives_its_own_targets(db: Session, world: World) -> None:
    # Positive control: a readable version that sets its own targets is measured against them.
    own = "\nwait_targets:\n  crisis: 1\n  urgent: 12\n  soon: 168\n  routine: 672\n"
    _store(db, world, default_yaml_text() + own, "1.0")
    targets = wait_targets_in_force(db, world.org.id)
    assert targets.own is True
    assert targets.hours["urgent"] == 12
    assert targets.version.endswith("1.0")
