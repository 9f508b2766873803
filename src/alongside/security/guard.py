"""The house around access: one audited way to load a row or answer 404, for every domain.

- :func:`load_or_refuse` ``(session, model, row_id, *, user, actor, resource_type, allowed,
  now, message, audit)``: the row when ``allowed(row)`` says the actor may have it (and its
  read audited when ``audit`` is given); otherwise the refusal is audited (kept even though
  the request fails) and a :class:`~alongside.errors.NotFound` is raised, the same whether the
  row is missing, another organisation's or just not the actor's. The refusal names the client
  only when the row is of the actor's own organisation.
- :func:`audit_access`: one successful access to client data, in the caller's transaction.
- :func:`refuse`: one refused access; returns the 404 for the caller to raise.
- :func:`purpose_of`: why this actor is looking, in the audit log's words.

Domains never write their own "get, check, refuse" loader: the five copies this replaced
(clients, scheduling, booking, measures, review, notes) drifted in what they audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from alongside.audit.service import record
from alongside.db import after_rollback
from alongside.errors import NotFound
from alongside.models import AuditAction, AuditOutcome, AuditPurpose, Client, User
from alongside.security.permissions import Role
from alongside.security.policy import Actor

NOT_FOUND = "No client with this id is available to you."


class OrganisationRow(Protocol):
    """A row of one organisation, with its own id."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def organization_id(self) -> uuid.UUID: ...


_Row = TypeVar("_Row", bound=OrganisationRow)


def purpose_of(actor: Actor, client_id: uuid.UUID | None = None) -> AuditPurpose:
    """Why this actor is looking, in the audit log's words."""
    if (
        client_id is not None
        and client_id in actor.break_glass_client_ids
        and (client_id not in actor.care_team_client_ids)
    ):
        return AuditPurpose.EMERGENCY
    if actor.role == Role.CLIENT:
        return AuditPurpose.CLIENT_ACCESS
    if actor.role in (Role.CLINICIAN, Role.CLINICAL_LEAD):
        return AuditPurpose.TREATMENT
    return AuditPurpose.OPERATIONS


def audit_access(
    session: Session,
    *,
    user: User | None,
    actor: Actor | None,
    action: AuditAction,
    resource_type: str,
    resource_id: uuid.UUID | str | None,
    client_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
    now: datetime,
) -> None:
    """Record one successful access to client data in the caller's transaction (the
    counterpart of :func:`refuse`); the purpose follows from who is looking."""
    record(
        session,
        actor=user,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        client_id=client_id,
        organization_id=organization_id,
        purpose=purpose_of(actor, client_id) if actor is not None else AuditPurpose.OPERATIONS,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )


def refuse(
    session: Session,
    *,
    user: User,
    actor: Actor,
    resource_type: str,
    resource_id: uuid.UUID | str | None,
    client_id: uuid.UUID | None,
    now: datetime,
    message: str = NOT_FOUND,
) -> NotFound:
    """Audit a refused access (kept even though the request fails) and return the 404."""

    def write(s: Session) -> None:
        record(
            s,
            actor=user,
            action=AuditAction.READ,
            resource_type=resource_type,
            resource_id=resource_id,
            client_id=client_id,
            organization_id=actor.organization_id,
            purpose=purpose_of(actor),
            outcome=AuditOutcome.REFUSED,
            now=now,
        )

    after_rollback(session, write)
    return NotFound(message)


def client_id_of(row: OrganisationRow) -> uuid.UUID | None:
    """The client a row is about: a client is about itself, other rows name theirs."""
    if isinstance(row, Client):
        return row.id
    found = getattr(row, "client_id", None)
    return found if isinstance(found, uuid.UUID) else None


def load_or_refuse(
    session: Session,
    model: type[_Row],
    row_id: uuid.UUID,
    *,
    user: User,
    actor: Actor,
    resource_type: str,
    allowed: Callable[[_Row], bool],
    now: datetime,
    message: str = NOT_FOUND,
    audit: AuditAction | None = None,
) -> _Row:
    """The row if the actor may have it (its access audited when ``audit`` is given);
    otherwise an audited 404 that reads exactly like a missing row."""
    row = session.get(model, row_id)
    if row is None or not allowed(row):
        same_organisation = row is not None and row.organization_id == actor.organization_id
        raise refuse(
            session,
            user=user,
            actor=actor,
            resource_type=resource_type,
            resource_id=row_id,
            client_id=client_id_of(row) if row is not None and same_organisation else None,
            now=now,
            message=message,
        )
    if audit is not None:
        audit_access(
            session,
            user=user,
            actor=actor,
            action=audit,
            resource_type=resource_type,
            resource_id=row.id,
            client_id=client_id_of(row),
            organization_id=row.organization_id,
            now=now,
        )
    return row
