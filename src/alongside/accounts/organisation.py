"""The administrator's running of the organisation: its name and time zone, on-call rota,
escalation time and sites.

Reuses the services that own the data (the rota in :mod:`alongside.triage.service`, the
escalation time in :mod:`alongside.review.service`); this module adds who may change them and
the audit trail. The caller owns the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.accounts.service import require_user_manage
from alongside.audit.service import record
from alongside.errors import InvalidInput, NotFound
from alongside.models import (
    AuditAction,
    AuditOutcome,
    AuditPurpose,
    OnCallRota,
    Organization,
    Role,
    Site,
    User,
)
from alongside.review.service import escalation_minutes_for, set_escalation_minutes
from alongside.security.permissions import Action
from alongside.security.policy import Actor, Resource, can
from alongside.triage.service import set_on_call_rota

# Who can be on call: the people who can act on a crisis alert.
ON_CALL_ROLES = (Role.CLINICIAN, Role.CLINICAL_LEAD)


@dataclass(frozen=True)
class OnCall:
    """The rota as the page shows it."""

    members: list[User]  # in rota order
    on_call_index: int  # index into members of the person on call now
    candidates: list[User]  # everyone who could be on the rota
    escalation_minutes: int
    is_default: bool  # no rota saved: the clinicians in the order they were added


def _audit(
    session: Session, *, by: User, resource_type: str, resource_id: object, now: datetime
) -> None:
    record(
        session,
        actor=by,
        action=AuditAction.UPDATE,
        resource_type=resource_type,
        resource_id=str(resource_id),
        client_id=None,
        organization_id=by.organization_id,
        purpose=AuditPurpose.OPERATIONS,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )


def on_call(session: Session, actor: Actor) -> OnCall:
    """The organisation's rota, who is on call and the escalation time (administrators)."""
    require_user_manage(actor)
    org_id = actor.organization_id
    candidates = list(
        session.scalars(
            select(User)
            .where(User.organization_id == org_id)
            .where(User.role.in_(ON_CALL_ROLES))
            .where(User.is_active.is_(True))
            .order_by(User.created_at, User.id)
        )
    )
    by_id = {str(user.id): user for user in candidates}
    rota = session.scalar(select(OnCallRota).where(OnCallRota.organization_id == org_id))
    members: list[User] = []
    index = 0
    if rota is not None and rota.member_ids:
        members = [by_id[m] for m in rota.member_ids if m in by_id]
        current = rota.member_ids[rota.position % len(rota.member_ids)]
        index = next((i for i, user in enumerate(members) if str(user.id) == current), 0)
    is_default = not members
    if is_default:
        members = [user for user in candidates if user.role is Role.CLINICIAN]
    return OnCall(
        members=members,
        on_call_index=index,
        candidates=candidates,
        escalation_minutes=escalation_minutes_for(session, org_id),
        is_default=is_default,
    )


def save_on_call(
    session: Session,
    *,
    by: User,
    actor: Actor,
    member_ids: list[str],
    on_call_slot: int,
    escalation_minutes: int,
    now: datetime,
) -> None:
    """Save the rota in the order given (blank slots skipped), who is on call, and the minutes.

    ``on_call_slot`` counts the filled slots from 1, as the page shows them.
    """
    require_user_manage(actor)
    chosen = [member for member in member_ids if member]
    if not chosen:
        raise InvalidInput("Put at least one person on the rota.")
    if len(set(chosen)) != len(chosen):
        raise InvalidInput("Each person appears once on the rota; remove the repeated name.")
    try:
        ids = [uuid.UUID(member) for member in chosen]
    except ValueError:
        raise InvalidInput("Choose people from the list.") from None
    allowed = {user.id for user in on_call(session, actor).candidates}
    if any(member not in allowed for member in ids):
        raise InvalidInput("Only active clinicians and clinical leads can be on call.")
    if not 1 <= on_call_slot <= len(ids):
        raise InvalidInput("Choose who is on call now from the people on the rota.")
    rota = set_on_call_rota(session, actor.organization_id, ids, position=on_call_slot - 1, now=now)
    set_escalation_minutes(session, actor.organization_id, escalation_minutes, now=now)
    _audit(session, by=by, resource_type="on_call_rota", resource_id=rota.id, now=now)


def sites(session: Session, actor: Actor) -> list[Site]:
    """The organisation's sites, by name (administrators)."""
    require_user_manage(actor)
    return list(
        session.scalars(
            select(Site).where(Site.organization_id == actor.organization_id).order_by(Site.name)
        )
    )


def _zone(name: str) -> str:
    name = name.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"'{name}' is not a time zone we know; choose one from the list, "
            "such as Europe/London or America/New_York."
        ) from None
    return name


def time_zones() -> list[str]:
    """Every time zone a site may be in, for the form's choices."""
    return sorted(zone for zone in available_timezones() if "/" in zone)


def add_site(
    session: Session, *, by: User, actor: Actor, name: str, timezone: str, now: datetime
) -> Site:
    """Add a place where the organisation sees clients."""
    require_user_manage(actor)
    name = name.strip()
    if not name:
        raise InvalidInput("Give the site a name, as staff and clients know it.")
    if any(site.name.casefold() == name.casefold() for site in sites(session, actor)):
        raise InvalidInput(f"There is already a site called {name}.")
    site = Site(organization_id=actor.organization_id, name=name, timezone=_zone(timezone))
    session.add(site)
    session.flush()
    _audit(session, by=by, resource_type="site", resource_id=site.id, now=now)
    return site


def rename_site(
    session: Session,
    *,
    by: User,
    actor: Actor,
    site_id: uuid.UUID,
    name: str,
    timezone: str,
    now: datetime,
) -> Site:
    """Change a site's name or time zone."""

    site = next((s for s in sites(session, actor) if s.id == site_id), None)
    if site is None:
        raise NotFound("There is no such site in your organisation.")
    name = name.strip()
    if not name:
        raise InvalidInput("Give the site a name, as staff and clients know it.")
    # The zone is checked before anything changes: a refused form is still committed with
    # its page, so a new name set first would be stored although the page said it was not.
    zone = _zone(timezone)
    site.name = name
    site.timezone = zone
    session.flush()
    _audit(session, by=by, resource_type="site", resource_id=site.id, now=now)
    return site


def details(session: Session, actor: Actor) -> Organization:
    """The organisation itself: its name, time zone and country (administrators)."""
    if not can(actor, Action.ORGANIZATION_MANAGE, Resource(organization_id=actor.organization_id)):
        raise NotFound("There is nothing at this address.")
    found = session.get(Organization, actor.organization_id)
    if found is None:
        raise NotFound("There is nothing at this address.")
    return found


def change_details(
    session: Session, *, by: User, actor: Actor, name: str, timezone: str, now: datetime
) -> Organization:
    """Rename the organisation or change its time zone (every time shown uses the zone)."""
    found = details(session, actor)
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("Give the organisation a name, as staff and clients know it.")
    zone = _zone(timezone)
    if (name, zone) != (found.name, found.timezone):
        found.name = name
        found.timezone = zone
        session.flush()
        _audit(session, by=by, resource_type="organization", resource_id=found.id, now=now)
    return found
