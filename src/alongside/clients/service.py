"""Every query for client data starts here, from the actor's readable set; every access is
audited in the same transaction, and every refusal is audited too."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from alongside.audit.service import record
from alongside.db import after_rollback
from alongside.errors import NotFound
from alongside.models import AuditAction, AuditOutcome, AuditPurpose, Client, User
from alongside.models.encrypted import keyring_for
from alongside.security.permissions import Action, Role
from alongside.security.policy import Actor, Resource, can, readable_clients

NOT_FOUND = "No client with this id is available to you."


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


def readable_clients_query(actor: Actor, action: Action = Action.CLIENT_READ) -> Select[Client]:
    """Clients the actor may take ``action`` on: the start of every client query."""
    scope = readable_clients(actor, action)
    query = select(Client).where(Client.organization_id == scope.organization_id)
    if scope.client_ids is not None:
        query = query.where(Client.id.in_(scope.client_ids))
    return query


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


def list_readable_clients(
    session: Session, user: User, actor: Actor, now: datetime
) -> list[Client]:
    """The clients this actor may see, by family then given name (one audited list access)."""
    clients = list(session.scalars(readable_clients_query(actor)).all())
    keyring_for(session).preload(session, [c.id for c in clients])
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.LIST,
        resource_type="client",
        resource_id=None,
        client_id=None,
        organization_id=actor.organization_id,
        now=now,
    )
    return sorted(clients, key=lambda c: (c.family_name.casefold(), c.given_name.casefold()))


def get_readable_client(
    session: Session,
    user: User,
    actor: Actor,
    client_id: uuid.UUID,
    now: datetime,
    *,
    action: Action = Action.CLIENT_READ,
) -> Client:
    """One client, or NotFound whether it is missing or not the actor's to see."""
    client = session.get(Client, client_id)
    allowed = client is not None and can(
        actor, action, Resource(organization_id=client.organization_id, client_id=client.id)
    )
    if client is None or not allowed:
        raise refuse(
            session,
            user=user,
            actor=actor,
            resource_type="client",
            resource_id=client_id,
            # Only name the client in the log when they are of the actor's organisation.
            client_id=(
                client.id
                if client is not None and client.organization_id == actor.organization_id
                else None
            ),
            now=now,
        )
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.READ,
        resource_type="client",
        resource_id=client.id,
        client_id=client.id,
        organization_id=client.organization_id,
        now=now,
    )
    return client
