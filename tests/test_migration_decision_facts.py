"""The migration that gives decisions the facts of their proposals copies them for the
decisions already stored, so oversight counts the same figures from the decisions alone.

A decision made by the review service carries its proposal's time, fired rules and versions;
after stepping down past the migration (the copies dropped) and up again, every decision holds
its own proposal's facts again (each decision differs, so a copy from the wrong proposal or a
default shows), and the oversight figures still agree with the pure definitions over every
proposal and decision.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from alongside.crypto.keys import FileKeyProvider
from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.migrate import downgrade, upgrade
from alongside.models import Decision, Role, Suggestion, SuggestionStatus, User
from alongside.review import service
from alongside.review.oversight import overall_override_rate, override_rate_by_rule
from alongside.security.access import actor_for
from tests.fixtures.db import fresh_database_url
from tests.fixtures.factories import create_client, create_organization, create_staff
from tests.review.review_support import NOW

BEFORE = "0021bwt"
VERSIONS = [
    {"ruleset": "default", "ruleset_version": "2025.3", "risk": {"model": "m-1"}},
    {"ruleset": "default", "ruleset_version": "2025.4", "risk": {"model": "m-2"}},
    {"ruleset": "default", "ruleset_version": "2025.4", "risk": None},
]
RULES = [[], ["phq9-severe"], ["phq9-severe", "cssrs-recent"]]


def _facts(decision: Decision) -> tuple[object, ...]:
    return (decision.proposed_at, decision.proposed_rules, decision.proposed_versions)


def test_decisions_get_their_proposals_facts_and_oversight_agrees(tmp_path: Path) -> None:
    provider = FileKeyProvider(tmp_path / "kek.key")
    for url in fresh_database_url(tmp_path, "decisions"):
        upgrade(url)
        engine = build_engine(url)
        with session_scope(make_sessionmaker(engine, provider)) as session:
            org = create_organization(session)
            lead = create_staff(session, org, Role.CLINICAL_LEAD)
            client = create_client(session, org, clinicians=(lead,))
            for n in range(9):
                suggestion = Suggestion(
                    organization_id=org.id,
                    client_id=client.id,
                    kind="triage",
                    status=SuggestionStatus.PROPOSED,
                    urgency="soon",
                    pathway="step2",
                    inputs_digest="0" * 64,
                    versions=VERSIONS[n % 3],
                    fired_rules=RULES[(n // 3) % 3],
                    reasons="[]",
                    inputs="{}",
                    proposed_at=NOW - timedelta(days=20, minutes=n),
                )
                session.add(suggestion)
                session.flush()
                if n == 8:
                    continue  # one proposal stays waiting: no decision to copy into
                service.decide(
                    session,
                    user=lead,
                    actor=actor_for(session, lead, NOW),
                    suggestion_id=suggestion.id,
                    outcome="accepted" if n % 2 else "rejected",
                    reason=None if n % 2 else "Seen differently at the phone call.",
                    now=NOW - timedelta(days=10, minutes=n),
                )
            made = {d.suggestion_id: _facts(d) for d in session.scalars(select(Decision))}
            proposed = {
                s.id: (s.proposed_at, s.fired_rules, s.versions)
                for s in session.scalars(select(Suggestion))
            }
            assert len(made) == 8
            # The review service copies each proposal's own facts when it decides.
            assert made == {key: proposed[key] for key in made}
            lead_id = lead.id
        engine.dispose()

        downgrade(url, BEFORE)
        upgrade(url)

        engine = build_engine(url)
        with session_scope(make_sessionmaker(engine, provider)) as session:
            copied = {d.suggestion_id: _facts(d) for d in session.scalars(select(Decision))}
            assert copied == made
            assert len({str(facts) for facts in copied.values()}) == 8  # all different
            user = session.get(User, lead_id)
            assert user is not None
            figures = service.oversight_figures(
                session, actor=actor_for(session, user, NOW), now=NOW, weeks=None
            )
            records = service.decision_records(session, user.organization_id)
            assert figures.overall == overall_override_rate(records)
            assert sorted(figures.by_rule, key=str) == sorted(
                override_rate_by_rule(records), key=str
            )
        engine.dispose()
