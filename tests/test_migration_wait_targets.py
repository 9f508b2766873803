"""The migration that makes the wait targets part of the rules keeps the targets in force.

Before it, the review targets set on the oversight page (review_settings) could differ from
the active ruleset version's ``wait_targets``; the settings were what the queue measured
against. After it, an organisation whose settings held other targets than its active version
has a new version of its rules carrying them, activated with the reason; one whose settings
were never set, or already agreed with its rules, gets nothing new. Downgrading puts the active
version's targets back into review_settings.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from alongside.crypto.keys import FileKeyProvider
from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.kit.time import utcnow
from alongside.migrate import downgrade, upgrade
from alongside.models import RulesetActivation, RulesetVersion
from alongside.review.service import review_targets
from alongside.triage.rule_changes import default_yaml_text, wait_targets_in_force
from alongside.triage.rulesets import load_ruleset
from tests.fixtures.db import fresh_database_url
from tests.fixtures.factories import create_organization

BEFORE = "0020sti"
OWN_TARGETS = "\nwait_targets:\n  crisis: 1\n  urgent: 12\n  soon: 168\n  routine: 672\n"


def _settings(session: Session, org_id: uuid.UUID, **minutes: int | None) -> None:
    targets = [f"target_{urgency}_minutes" for urgency in minutes]
    columns = ", ".join(["id", "created_at", "organization_id", *targets])
    values = ", ".join([":id", ":created_at", ":org", *(f":{u}" for u in minutes)])
    sqlite = session.get_bind().dialect.name == "sqlite"
    session.execute(
        text(f"INSERT INTO review_settings ({columns}) VALUES ({values})"),  # noqa: S608 - test's own names
        {
            "id": uuid.uuid4().hex if sqlite else uuid.uuid4(),
            "created_at": utcnow(),
            "org": org_id.hex if sqlite else org_id,
            **minutes,
        },
    )


def _stored(session: Session, org_id: uuid.UUID, version: str, extra: str) -> None:
    body = default_yaml_text().replace('version: "2.0.0"', f'version: "{version}"', 1) + extra
    session.add(
        RulesetVersion(
            organization_id=org_id,
            ruleset_id="alongside-default",
            version=version,
            yaml_text=body,
            note="",
            created_at=utcnow(),
            activated_at=utcnow(),
            is_active=True,
        )
    )
    session.flush()


def _versions(session: Session, org_id: uuid.UUID) -> list[RulesetVersion]:
    return list(
        session.scalars(
            select(RulesetVersion)
            .where(RulesetVersion.organization_id == org_id)
            .order_by(RulesetVersion.created_at)
        )
    )


def test_the_oversight_targets_move_into_the_rules_and_back(tmp_path: Path) -> None:
    provider = FileKeyProvider(tmp_path / "kek.key")
    for url in fresh_database_url(tmp_path, "waits"):
        upgrade(url, BEFORE)
        engine = build_engine(url)
        factory = make_sessionmaker(engine, provider)
        with session_scope(factory) as session:
            # The built-in rules in force, urgent set to 12 hours on the oversight page.
            builtin = create_organization(session).id
            _settings(session, builtin, crisis=None, urgent=720, soon=None, routine=None)
            # A version with its own targets (urgent 12 h), changed since on the oversight
            # page to 6 h: the drift this migration ends.
            drifted = create_organization(session).id
            _stored(session, drifted, "3.1", OWN_TARGETS)
            _settings(session, drifted, crisis=60, urgent=360, soon=10080, routine=40320)
            # Never set: the defaults, which need no version.
            unset = create_organization(session).id
            _settings(session, unset, crisis=None, urgent=None, soon=None, routine=None)
            # Set, and the same as the active version's own.
            agreed = create_organization(session).id
            _stored(session, agreed, "2.0.4", OWN_TARGETS)
            _settings(session, agreed, crisis=60, urgent=720, soon=10080, routine=40320)
        engine.dispose()

        upgrade(url)
        engine = build_engine(url)
        factory = make_sessionmaker(engine, provider)
        with session_scope(factory) as session:
            (made,) = _versions(session, builtin)
            assert (made.version, made.is_active, made.ruleset_id) == (
                "2.0.1",
                True,
                "alongside-default",
            )
            shipped = default_yaml_text().replace('version: "2.0.0"', 'version: "2.0.1"', 1)
            assert made.yaml_text.startswith(shipped)
            assert made.yaml_text.endswith("measure against them.\n" + OWN_TARGETS.lstrip())
            assert review_targets(session, builtin)["urgent"].total_seconds() == 12 * 3600
            activation = session.scalar(
                select(RulesetActivation).where(RulesetActivation.ruleset_version_id == made.id)
            )
            assert activation is not None
            assert activation.previous == "alongside-default 2.0.0"
            assert "the targets set on the oversight page" in activation.reason
            assert activation.activated_by_name == "Alongside (upgrade)"
            assert activation.wait_targets == {
                "crisis": 60,
                "urgent": 720,
                "soon": 10080,
                "routine": 40320,
            }

            old, new = _versions(session, drifted)
            assert (old.version, old.is_active, new.version, new.is_active) == (
                "3.1",
                False,
                "3.2",
                True,
            )
            # Written where the targets were, once; the triage rules unchanged.
            assert new.yaml_text.count("wait_targets:") == 1
            assert "  urgent: 6\n" in new.yaml_text
            ruleset = load_ruleset(new.yaml_text)
            assert ruleset.rules == load_ruleset(old.yaml_text).rules
            assert wait_targets_in_force(session, drifted).hours["urgent"] == 6

            # Negative controls: nothing new where the settings were unset or agreed.
            assert _versions(session, unset) == []
            assert review_targets(session, unset)["urgent"].total_seconds() == 24 * 3600
            assert [v.version for v in _versions(session, agreed)] == ["2.0.4"]
            columns = session.execute(text("SELECT * FROM review_settings")).keys()
            assert not [c for c in columns if c.startswith("target_")]
        engine.dispose()

        downgrade(url, BEFORE)
        engine = build_engine(url)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT organization_id, target_urgent_minutes FROM review_settings")
            ).all()
        engine.dispose()
        urgent = {uuid.UUID(str(org)): minutes for org, minutes in rows}
        assert urgent == {builtin: 720, drifted: 360, unset: None, agreed: 720}

        # Up again: the targets already agree with the rules, so nothing more is made.
        upgrade(url)
        engine = build_engine(url)
        with session_scope(make_sessionmaker(engine, provider)) as session:
            assert len(_versions(session, builtin)) == 1
            assert len(_versions(session, drifted)) == 2
        engine.dispose()
