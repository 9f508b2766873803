"""Every query for client data starts here, from the actor's readable set."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from alongside.errors import NotFound
from alongside.models import CareTeam, Client, Role, User

NOT_FOUND = "No client with this id is available to you."


def readable_clients_query(actor: User) -> Select[Client]:
    """Clients the actor may read: their organisation, narrowed to the care team for clinicians."""
    query = select(Client).where(Client.organization_id == actor.organization_id)
    if actor.role is Role.CLINICIAN:
        query = query.where(
            Client.id.in_(select(CareTeam.client_id).where(CareTeam.clinician_id == actor.id))
        )
    elif actor.role is Role.CLIENT:
        query = query.where(Client.id == actor.client_id)
    elif actor.role is Role.ADMIN:
        # Administrators run the system; they do not read clinical records.
        query = query.where(Client.id.is_(None))
    return query


def list_readable_clients(session: Session, actor: User) -> list[Client]:
    """The clients this actor may see, by family then given name."""
    clients = session.scalars(readable_clients_query(actor)).all()
    return sorted(clients, key=lambda c: (c.family_name.casefold(), c.given_name.casefold()))


def get_readable_client(session: Session, actor: User, client_id: uuid.UUID) -> Client:
    """One client, or NotFound whether it is missing or not the actor's to see."""
    client = session.scalar(readable_clients_query(actor).where(Client.id == client_id))
    if client is None:
        raise NotFound(NOT_FOUND)
    return client
