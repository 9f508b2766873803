"""An organisation's crisis resources: its country, its own local services, and who changed what.

The administrator chooses the organisation's country (which default resources a client in
crisis sees), adds, changes and removes local services (a duty line, a local crisis team),
previews exactly what a client would see, and reads the change history. Every change is
written to :class:`~alongside.models.CrisisResourceChange` (who, when, before, after) and to
the audit log, in the caller's transaction.

API
---
- :func:`create_organization` ``(session, *, name, slug, country) -> Organization``: the
  country is required and must be ISO 3166-1 alpha-2 or a UK nation (no default).
- :func:`crisis_settings` ``(session, *, actor) -> CrisisSettings``.
- :func:`resources_for_organization` ``(session, organization_id) -> CrisisResources``: what a
  client of the organisation sees (never fails; falls back to "call your local emergency
  number").
- :func:`set_country`, :func:`save_local_service`, :func:`remove_local_service` (each
  ``actor`` and ``now``; audited).

Only a person with ``organization.manage`` (the administrator) may see or change it; anyone
else gets 404.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.audit.service import record
from alongside.errors import InvalidInput, NotFound
from alongside.models import (
    AuditAction,
    AuditOutcome,
    AuditPurpose,
    CrisisResourceChange,
    Organization,
    User,
)
from alongside.security.permissions import Action, role_allows
from alongside.triage.crisis_resources import (
    CrisisResource,
    CrisisResources,
    crisis_resources_for,
    validate_country,
)

log = logging.getLogger("alongside.triage")

NOT_HERE = "There is nothing at this address. Check the link, or go back to your home page."
RESOURCE_TYPE = "crisis_resources"
MAX_LOCAL_SERVICES = 20
HISTORY_LIMIT = 50


@dataclass(frozen=True)
class CrisisSettings:
    """What the administrator's page shows."""

    organization: Organization
    preview: CrisisResources
    local: tuple[CrisisResource, ...]
    changes: tuple[CrisisResourceChange, ...]


def create_organization(session: Session, *, name: str, slug: str, country: str) -> Organization:
    """A new organisation; its country is required (it chooses the crisis resources)."""
    if not country or not country.strip():
        raise InvalidInput(
            "country: give the organisation's country (ISO 3166-1 alpha-2, for example US, IE; "
            "for the UK a nation: GB-ENG, GB-SCT, GB-WLS or GB-NIR)."
        )
    organization = Organization(name=name, slug=slug, country=validate_country(country))
    session.add(organization)
    session.flush()
    return organization


def _organization(session: Session, actor: User) -> Organization:
    # 404, never 403: the page's existence is not confirmed to anyone else.
    if not role_allows(actor.role, Action.ORGANIZATION_MANAGE):
        raise NotFound(NOT_HERE)
    # A user's organisation is a required foreign key (deleted with it): always there.
    return session.get_one(Organization, actor.organization_id)


def resources_for_organization(session: Session, organization_id: uuid.UUID) -> CrisisResources:
    """What a client of the organisation sees in crisis; never fails (invariant 3)."""
    organization = session.get(Organization, organization_id)
    if organization is None:
        return crisis_resources_for(None)
    try:
        return crisis_resources_for(organization.country, organization.local_crisis_resources)
    except InvalidInput:
        # A stored local service that no longer validates must not hide the defaults.
        log.error("local_crisis_resources_invalid", extra={"organization_id": str(organization_id)})
        return crisis_resources_for(organization.country)


def crisis_settings(session: Session, *, actor: User) -> CrisisSettings:
    """The organisation's country, local services, preview and recent changes."""
    organization = _organization(session, actor)
    changes = session.scalars(
        select(CrisisResourceChange)
        .where(CrisisResourceChange.organization_id == organization.id)
        .order_by(CrisisResourceChange.changed_at.desc(), CrisisResourceChange.id)
        .limit(HISTORY_LIMIT)
    ).all()
    local = tuple(
        CrisisResource.model_validate(entry) for entry in organization.local_crisis_resources
    )
    return CrisisSettings(
        organization=organization,
        preview=resources_for_organization(session, organization.id),
        local=local,
        changes=tuple(changes),
    )


def _log_change(
    session: Session,
    organization: Organization,
    actor: User,
    *,
    change: str,
    key: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> None:
    session.add(
        CrisisResourceChange(
            organization_id=organization.id,
            changed_by_id=actor.id,
            changed_by_name=actor.display_name,
            changed_at=now,
            change=change,
            resource_key=key,
            before=before,
            after=after,
        )
    )
    record(
        session,
        actor=actor,
        action=AuditAction.UPDATE,
        resource_type=RESOURCE_TYPE,
        resource_id=organization.id,
        client_id=None,
        organization_id=organization.id,
        purpose=AuditPurpose.OPERATIONS,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )
    session.flush()


def set_country(session: Session, *, actor: User, country: str, now: datetime) -> Organization:
    """Change the organisation's country (audited)."""
    organization = _organization(session, actor)
    code = validate_country(country)
    if code != organization.country:
        before = {"country": organization.country}
        organization.country = code
        _log_change(
            session,
            organization,
            actor,
            change="country",
            key="country",
            before=before,
            after={"country": code},
            now=now,
        )
    return organization


def save_local_service(
    session: Session, *, actor: User, entry: dict[str, Any], now: datetime
) -> CrisisResource:
    """Add a local service, or change the one with the same id (audited)."""
    organization = _organization(session, actor)
    try:
        resource = CrisisResource.model_validate(
            {key: value for key, value in entry.items() if value not in (None, "")}
        )
    except ValidationError as error:
        fields = ", ".join(str(item["loc"][0]) for item in error.errors() if item["loc"])
        raise InvalidInput(
            f"Check these fields: {fields}. A service needs a short id (lower-case letters, "
            "digits and dashes), a name, a number or address, how to reach it, and its source."
        ) from error
    current = list(organization.local_crisis_resources or [])
    before = next((item for item in current if item.get("id") == resource.id), None)
    if before is None and len(current) >= MAX_LOCAL_SERVICES:
        raise InvalidInput(f"An organisation can list at most {MAX_LOCAL_SERVICES} local services.")
    after = resource.model_dump(mode="json", exclude_none=True)
    if before == after:
        return resource
    updated = [after if item.get("id") == resource.id else item for item in current]
    if before is None:
        updated.append(after)
    # A new list, so the JSON column is seen as changed.
    organization.local_crisis_resources = updated
    _log_change(
        session,
        organization,
        actor,
        change="added" if before is None else "changed",
        key=resource.id,
        before=before,
        after=after,
        now=now,
    )
    return resource


def remove_local_service(session: Session, *, actor: User, key: str, now: datetime) -> None:
    """Remove a local service (audited); the country's defaults cannot be removed."""
    organization = _organization(session, actor)
    current = list(organization.local_crisis_resources or [])
    before = next((item for item in current if item.get("id") == key), None)
    if before is None:
        raise NotFound("There is no such local service.")
    organization.local_crisis_resources = [item for item in current if item.get("id") != key]
    _log_change(
        session,
        organization,
        actor,
        change="removed",
        key=key,
        before=before,
        after=None,
        now=now,
    )
