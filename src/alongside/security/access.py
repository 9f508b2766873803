"""Who the signed-in person is to the policy, and break-glass access.

``actor_for`` turns a user into the :class:`~alongside.security.policy.Actor` that every
service hands to ``can`` and ``readable_clients``: their care team, their unexpired
break-glass grants and the intakes they are assigned to review, read at the request's time.
The clinical lead's access review lists both kinds of access outside the care team:
:func:`break_glass_review_list` and :func:`assignment_review_list`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.models import BreakGlassGrant, CareTeam, Client, ReviewAssignment, Role, User
from alongside.security.permissions import Action
from alongside.security.policy import Actor, Resource, can
from alongside.security.throttle import HeldBackAccount, held_back_accounts

MIN_REASON_LENGTH = 10
CLIENT_NOT_FOUND = "No client with this id is available to you."
_KNOWN_ACTIONS = frozenset(action.value for action in Action)


def actor_for(
    session: Session,
    user: User,
    now: datetime,
    *,
    allowed_actions: Iterable[str] | None = None,
) -> Actor:
    """The policy's view of ``user`` at ``now`` (optionally narrowed to a token's scopes)."""
    care_team: frozenset[uuid.UUID] = frozenset()
    break_glass: frozenset[uuid.UUID] = frozenset()
    assigned: frozenset[uuid.UUID] = frozenset()
    if user.role in (Role.CLINICIAN, Role.CLINICAL_LEAD):
        care_team = frozenset(
            session.scalars(select(CareTeam.client_id).where(CareTeam.clinician_id == user.id))
        )
        break_glass = frozenset(
            session.scalars(
                select(BreakGlassGrant.client_id).where(
                    BreakGlassGrant.clinician_id == user.id, BreakGlassGrant.expires_at > now
                )
            )
        )
        assigned = frozenset(
            session.scalars(
                select(ReviewAssignment.intake_id).where(
                    ReviewAssignment.reviewer_id == user.id,
                    or_(ReviewAssignment.ends_at.is_(None), ReviewAssignment.ends_at > now),
                )
            )
        )
    return Actor(
        user_id=user.id,
        organization_id=user.organization_id,
        role=user.role.value,
        care_team_client_ids=care_team,
        break_glass_client_ids=break_glass,
        client_id=user.client_id,
        assigned_intake_ids=assigned,
        allowed_actions=(
            None
            if allowed_actions is None
            # A scope no longer in the policy (a token older than a removed action) opens nothing.
            else frozenset(Action(a) for a in allowed_actions if a in _KNOWN_ACTIONS)
        ),
    )


def request_break_glass(
    session: Session,
    actor: Actor,
    *,
    client_id: uuid.UUID,
    reason: str,
    now: datetime,
    minutes: int,
) -> BreakGlassGrant:
    """Open a client outside the care team for ``minutes``, for a stated reason."""
    reason = reason.strip()
    client = session.get(Client, client_id)
    resource = Resource(
        organization_id=client.organization_id if client else actor.organization_id,
        client_id=client_id,
    )
    if client is None or not can(actor, Action.BREAK_GLASS_REQUEST, resource):
        raise NotFound(CLIENT_NOT_FOUND)
    if len(reason) < MIN_REASON_LENGTH:
        raise InvalidInput(
            f"Say why you need emergency access (at least {MIN_REASON_LENGTH} characters); "
            "the clinical lead reviews every use."
        )
    if client_id in actor.care_team_client_ids:
        raise Conflict("This client is already on your care team; no emergency access needed.")
    grant = BreakGlassGrant(
        organization_id=client.organization_id,
        clinician_id=actor.user_id,
        client_id=client_id,
        reason=reason,
        granted_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    session.add(grant)
    session.flush()
    return grant


def break_glass_review_list(session: Session, actor: Actor) -> list[BreakGlassGrant]:
    """Unacknowledged emergency accesses of the organisation, newest first (clinical lead)."""
    if not can(actor, Action.BREAK_GLASS_REVIEW):
        raise NotFound("There is nothing at this address.")
    grants = session.scalars(
        select(BreakGlassGrant)
        .where(
            BreakGlassGrant.organization_id == actor.organization_id,
            BreakGlassGrant.acknowledged_at.is_(None),
        )
        .order_by(BreakGlassGrant.granted_at.desc())
    ).all()
    return list(grants)


def acknowledge_break_glass(
    session: Session, actor: Actor, grant_id: uuid.UUID, now: datetime
) -> BreakGlassGrant:
    """Mark an emergency access as reviewed by the clinical lead."""
    grant = session.get(BreakGlassGrant, grant_id)
    if (
        grant is None
        or grant.organization_id != actor.organization_id
        or not can(actor, Action.BREAK_GLASS_REVIEW)
    ):
        raise NotFound("No emergency access with this id is available to you.")
    if grant.acknowledged_at is None:
        grant.acknowledged_at = now
        grant.acknowledged_by = actor.user_id
        session.flush()
    return grant


ASSIGNMENT_REVIEW_DAYS = 30


def assignment_review_list(session: Session, actor: Actor, now: datetime) -> list[ReviewAssignment]:
    """Intake reviews assigned outside the care team in the last 30 days, newest first
    (clinical lead): who asked whom, why, and until when the reviewer may open the case."""
    if not can(actor, Action.BREAK_GLASS_REVIEW):
        raise NotFound("There is nothing at this address.")
    assignments = session.scalars(
        select(ReviewAssignment)
        .where(
            ReviewAssignment.organization_id == actor.organization_id,
            ReviewAssignment.outside_care_team.is_(True),
            ReviewAssignment.assigned_at > now - timedelta(days=ASSIGNMENT_REVIEW_DAYS),
        )
        .order_by(ReviewAssignment.assigned_at.desc())
    ).all()
    return list(assignments)


def held_back_sign_ins(session: Session, actor: Actor, now: datetime) -> list[HeldBackAccount]:
    """Accounts whose sign-ins are being held back after failures (clinical lead)."""
    if not can(actor, Action.BREAK_GLASS_REVIEW):
        raise NotFound("There is nothing at this address.")
    return held_back_accounts(session, actor.organization_id, now)
