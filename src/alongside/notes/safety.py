"""Safety plans: Stanley & Brown's six steps, written with the client, versioned, shared.

- :func:`save_safety_plan`: a new version (the care team writes it with the client; the
  earlier versions stay on the record).
- :func:`current_safety_plan` / :func:`safety_plan_versions`: for the care team (and
  break-glass, read-only) and for the client in their own space. Every read and save audited.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alongside.clients.service import get_readable_client
from alongside.errors import InvalidInput
from alongside.models import AuditAction, Client, Note, SafetyPlan, User
from alongside.notes.library import safety_plan_template
from alongside.security.guard import audit_access
from alongside.security.permissions import Action
from alongside.security.policy import Actor

MAX_STEP = 4000


def _audit(
    session: Session,
    user: User,
    actor: Actor,
    action: AuditAction,
    client: Client,
    resource_id: uuid.UUID | None,
    now: datetime,
) -> None:
    audit_access(
        session,
        user=user,
        actor=actor,
        action=action,
        resource_type="safety_plan",
        resource_id=resource_id,
        client_id=client.id,
        organization_id=client.organization_id,
        now=now,
    )


def clean_steps(steps: Mapping[str, str]) -> dict[str, str]:
    """The steps as the template names them; unknown steps or too much text is a 422."""
    known = [step.key for step in safety_plan_template().steps]
    unknown = sorted(set(steps) - set(known))
    if unknown:
        raise InvalidInput(f"steps: the plan's steps are {', '.join(known)}; not {unknown}.")
    cleaned = {key: str(steps.get(key, "")).strip() for key in known}
    too_long = [key for key, text in cleaned.items() if len(text) > MAX_STEP]
    if too_long:
        raise InvalidInput(f"steps: at most {MAX_STEP} characters a step ({too_long[0]}).")
    if not any(cleaned.values()):
        raise InvalidInput("steps: write at least one step with the client.")
    return cleaned


def save_safety_plan(
    session: Session,
    *,
    user: User,
    actor: Actor,
    client_id: uuid.UUID,
    steps: Mapping[str, str],
    now: datetime,
    note_id: uuid.UUID | None = None,
) -> SafetyPlan:
    """Save a new version of the client's safety plan."""
    client = get_readable_client(
        session, user, actor, client_id, now, action=Action.SAFETY_PLAN_WRITE
    )
    cleaned = clean_steps(steps)
    if note_id is not None:
        note = session.get(Note, note_id)
        if note is None or note.client_id != client.id:
            note_id = None
    latest = session.scalar(
        select(func.max(SafetyPlan.version)).where(SafetyPlan.client_id == client.id)
    )
    plan = SafetyPlan(
        organization_id=client.organization_id,
        client_id=client.id,
        version=(latest or 0) + 1,
        template_version=safety_plan_template().version,
        author_id=user.id,
        note_id=note_id,
        created_at=now,
    )
    plan.steps = json.dumps(cleaned, ensure_ascii=False)
    session.add(plan)
    session.flush()
    _audit(session, user, actor, AuditAction.CREATE, client, plan.id, now)
    return plan


def safety_plan_versions(
    session: Session, *, user: User, actor: Actor, client_id: uuid.UUID, now: datetime
) -> tuple[Client, list[SafetyPlan]]:
    """Every version of the client's safety plan, newest first (audited)."""
    client = get_readable_client(
        session, user, actor, client_id, now, action=Action.SAFETY_PLAN_READ
    )
    plans = list(
        session.scalars(
            select(SafetyPlan)
            .where(SafetyPlan.client_id == client.id)
            .order_by(SafetyPlan.version.desc())
        )
    )
    _audit(session, user, actor, AuditAction.READ, client, plans[0].id if plans else None, now)
    return client, plans
