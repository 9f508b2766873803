"""Demo data for the review: one decided proposal, an acknowledged crisis alert, a second
ruleset version (stored, not active), and the rest left waiting in the queue.

Called from :func:`alongside.demo.seed.seed_demo_clinic` after the demo intakes are submitted.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.models import Role, Suggestion, SuggestionStatus, User
from alongside.review.service import decide
from alongside.security.access import actor_for
from alongside.triage.escalation import acknowledge_alert, open_crisis_alert
from alongside.triage.rule_changes import create_version, default_yaml_text


def seed_review(session: Session, organization_id: uuid.UUID, now: datetime) -> None:
    """Decide one routine proposal, acknowledge the crisis alert, store a ruleset version."""
    proposals = session.scalars(
        select(Suggestion)
        .where(Suggestion.organization_id == organization_id)
        .where(Suggestion.status == SuggestionStatus.PROPOSED)
        .order_by(Suggestion.proposed_at)
    ).all()
    crisis = next((s for s in proposals if s.urgency == "crisis"), None)
    others = [s for s in proposals if s.urgency != "crisis"]
    staff = {
        user.id: user
        for user in session.scalars(select(User).where(User.organization_id == organization_id))
    }
    if others:
        first = others[0]
        reviewer = next(
            (
                user
                for user in staff.values()
                if user.role == Role.CLINICIAN
                and actor_for(session, user, now).care_team_client_ids >= {first.client_id}
            ),
            None,
        )
        if reviewer is not None:
            decide(
                session,
                user=reviewer,
                actor=actor_for(session, reviewer, now),
                suggestion_id=first.id,
                outcome="accepted",
                now=first.proposed_at + timedelta(hours=2),
            )
    if crisis is not None:
        alert = open_crisis_alert(session, crisis, now=now)
        on_call = staff.get(crisis.alerted_user_id) if crisis.alerted_user_id else None
        if on_call is not None:
            acknowledge_alert(
                session,
                user=on_call,
                actor=actor_for(session, on_call, now),
                alert_id=alert.id,
                action="client_called",
                note="Demo: called the client, agreed a safety plan and an appointment tomorrow.",
                now=crisis.proposed_at + timedelta(minutes=6),
            )
    lead = next((u for u in staff.values() if u.role == Role.CLINICAL_LEAD), None)
    if lead is not None:
        document = yaml.safe_load(default_yaml_text())
        document["version"] = f"{document['version']}-demo-2"
        document["description"] = "Demo: a second version to preview against the default."
        create_version(
            session,
            user=lead,
            actor=actor_for(session, lead, now),
            yaml_text=yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
            note="Demo: the same rules as a second version, to try the preview.",
            now=now,
        )
