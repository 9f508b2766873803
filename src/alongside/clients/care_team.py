"""The clinical lead's changes to care teams: who cares for which client, and why it changed.

A care team is what opens a client's clinical record to a clinician (least privilege), so each
change names a reason, kept encrypted with the client's key, and is audited in the same
transaction. The caller owns the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.clients.service import get_readable_client
from alongside.errors import InvalidInput, NotFound
from alongside.models import AuditAction, CareTeam, CareTeamChange, Client, Role, User
from alongside.security.guard import audit_access
from alongside.security.permissions import Action
from alongside.security.policy import Actor, Resource, can

NOT_FOUND = "No client with this id is available to you."
MIN_REASON = 10
# Who can be on a care team: the people who treat clients.
TEAM_ROLES = (Role.CLINICIAN, Role.CLINICAL_LEAD)


@dataclass(frozen=True)
class HistoryLine:
    """One past change, in the page's words."""

    at: datetime
    change: str
    clinician: str
    by: str
    reason: str


@dataclass(frozen=True)
class CareTeamView:
    """A client's care team, who could join it, and how it changed."""

    client: Client
    members: list[User]
    candidates: list[User]
    history: list[HistoryLine]


def require_care_team_manage(actor: Actor) -> None:
    """Refuse (404) anyone who may not change care teams."""
    if not can(actor, Action.CARE_TEAM_MANAGE, Resource(organization_id=actor.organization_id)):
        raise NotFound(NOT_FOUND)


def _team(session: Session, client_id: uuid.UUID) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(CareTeam, CareTeam.clinician_id == User.id)
            .where(CareTeam.client_id == client_id)
            .order_by(User.display_name)
        )
    )


def care_team(
    session: Session, *, user: User, actor: Actor, client_id: uuid.UUID, now: datetime
) -> CareTeamView:
    """The client's care team and its history (clinical leads; the read is audited)."""
    require_care_team_manage(actor)
    client = get_readable_client(session, user, actor, client_id, now)
    members = _team(session, client.id)
    on_team = {member.id for member in members}
    candidates = [
        person
        for person in session.scalars(
            select(User)
            .where(User.organization_id == actor.organization_id)
            .where(User.role.in_(TEAM_ROLES))
            .where(User.is_active.is_(True))
            .order_by(User.display_name)
        )
        if person.id not in on_team
    ]
    names = {
        person.id: person.display_name
        for person in session.scalars(
            select(User).where(User.organization_id == actor.organization_id)
        )
    }
    changes = session.scalars(
        select(CareTeamChange)
        .where(CareTeamChange.client_id == client.id)
        .order_by(CareTeamChange.created_at.desc(), CareTeamChange.id)
    )
    history = [
        HistoryLine(
            at=row.created_at,
            change="Added" if row.change == "added" else "Removed",
            clinician=names.get(row.clinician_id, "a former colleague"),
            by=names.get(row.changed_by, "the system") if row.changed_by else "the system",
            reason=str(row.reason),
        )
        for row in changes
    ]
    return CareTeamView(client=client, members=members, candidates=candidates, history=history)


def _reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise InvalidInput(
            f"Say why the care team changes, in at least {MIN_REASON} characters, "
            "so colleagues reading the record later understand."
        )
    return reason


def _clinician(session: Session, actor: Actor, clinician_id: uuid.UUID) -> User:
    person = session.get(User, clinician_id)
    if (
        person is None
        or person.organization_id != actor.organization_id
        or person.role not in TEAM_ROLES
    ):
        raise InvalidInput("Choose a clinician of your organisation from the list.")
    return person


def _log(
    session: Session,
    *,
    user: User,
    actor: Actor,
    client: Client,
    clinician: User,
    change: str,
    reason: str,
    now: datetime,
) -> None:
    row = CareTeamChange(
        organization_id=client.organization_id,
        client_id=client.id,
        clinician_id=clinician.id,
        change=change,
        changed_by=user.id,
        created_at=now,
    )
    row.reason = reason
    session.add(row)
    session.flush()
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.CREATE if change == "added" else AuditAction.DELETE,
        resource_type="care_team",
        resource_id=row.id,
        client_id=client.id,
        organization_id=client.organization_id,
        now=now,
    )


def add_to_care_team(
    session: Session,
    *,
    user: User,
    actor: Actor,
    client_id: uuid.UUID,
    clinician_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> User:
    """Put a clinician on the client's care team, with the reason (clinical leads)."""
    require_care_team_manage(actor)
    reason = _reason(reason)
    client = get_readable_client(session, user, actor, client_id, now)
    clinician = _clinician(session, actor, clinician_id)
    if not clinician.is_active:
        raise InvalidInput(f"{clinician.display_name}'s account is disabled.")
    if any(member.id == clinician.id for member in _team(session, client.id)):
        raise InvalidInput(f"{clinician.display_name} is already on this care team.")
    session.add(
        CareTeam(
            organization_id=client.organization_id,
            client_id=client.id,
            clinician_id=clinician.id,
            team_role="secondary",
        )
    )
    _log(
        session,
        user=user,
        actor=actor,
        client=client,
        clinician=clinician,
        change="added",
        reason=reason,
        now=now,
    )
    return clinician


def remove_from_care_team(
    session: Session,
    *,
    user: User,
    actor: Actor,
    client_id: uuid.UUID,
    clinician_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> User:
    """Take a clinician off the client's care team, with the reason; someone always remains."""
    require_care_team_manage(actor)
    reason = _reason(reason)
    client = get_readable_client(session, user, actor, client_id, now)
    clinician = _clinician(session, actor, clinician_id)
    row = session.scalar(
        select(CareTeam)
        .where(CareTeam.client_id == client.id)
        .where(CareTeam.clinician_id == clinician.id)
    )
    if row is None:
        raise InvalidInput(f"{clinician.display_name} is not on this care team.")
    if len(_team(session, client.id)) == 1:
        raise InvalidInput(
            "A client always has someone on their care team: add the new clinician first, "
            "then remove this one."
        )
    session.delete(row)
    _log(
        session,
        user=user,
        actor=actor,
        client=client,
        clinician=clinician,
        change="removed",
        reason=reason,
        now=now,
    )
    return clinician
