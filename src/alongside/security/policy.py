"""The access policy as one pure function: ``can(actor, action, resource)``.

API
---
- :class:`Actor`: who asks, as the service layer knows them for this request (user id,
  organisation, role, care-team client ids, client ids with an active break-glass grant at
  this moment, and for client users their own client id). Expiry of break-glass grants is
  decided by the caller, who knows the time.
- :class:`Resource`: what is asked about (organisation, client id, author id for notes, kind).
- :func:`can` ``(actor, action, resource=None) -> bool``.
- :func:`readable_clients` ``(actor, action=Action.CLIENT_READ) -> ClientScope``: the set of
  clients a query must start from; ``can(actor, action, Resource(org, client))`` is true exactly
  for the clients in it (tested), so lists and single reads agree.

Rules, in the order they are checked (any failure refuses):

0. An API token's scopes (``Actor.allowed_actions``), when present, must include the action.
1. The role must be granted the action (:data:`~alongside.security.permissions.GRANTS`).
2. Never across organisations: a resource of another organisation is refused, whatever the
   care team or grants say.
3. A resource of kind ``psychotherapy_note`` is refused to everyone but its author, whatever
   the action (a guard against a route checking ``note.read`` on one by mistake).
4. Organisation-wide actions need nothing more. Actions on a client's record
   (:data:`~alongside.security.permissions.CLIENT_ACTIONS`) need a resource naming the client,
   and then the scope decides: ``OWN`` the actor's own client record; ``CARE_TEAM`` a client on
   the care team, or with an active break-glass grant for the read actions in
   :data:`~alongside.security.permissions.BREAK_GLASS_ACTIONS`, or for
   :data:`~alongside.security.permissions.ASSIGNMENT_ACTIONS` a resource naming an intake the
   actor is assigned to review (that case only: ``readable_clients`` never includes it);
   ``AUTHOR`` the actor wrote it and the client is on their care team; ``ORGANIZATION`` any
   client of the organisation.

Whatever ``can`` refuses, the route answers 404 (never 403), so existence is not confirmed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from alongside.security.permissions import (
    ASSIGNMENT_ACTIONS,
    BREAK_GLASS_ACTIONS,
    CLIENT_ACTIONS,
    PSYCHOTHERAPY_NOTE_KIND,
    Action,
    Role,
    Scope,
    scope_of,
)


@dataclass(frozen=True, slots=True)
class Actor:
    """The person making a request, with what the policy needs to know about them."""

    user_id: uuid.UUID
    organization_id: uuid.UUID
    role: Role | str
    care_team_client_ids: frozenset[uuid.UUID] = frozenset()
    break_glass_client_ids: frozenset[uuid.UUID] = frozenset()
    client_id: uuid.UUID | None = None
    # Intakes this clinician is assigned to review, while the assignment lasts.
    assigned_intake_ids: frozenset[uuid.UUID] = frozenset()
    # An API token's scopes: when set, only these actions, even if the role grants more.
    allowed_actions: frozenset[Action] | None = None


@dataclass(frozen=True, slots=True)
class Resource:
    """The thing an action is about: its organisation and, for client data, the client."""

    organization_id: uuid.UUID
    client_id: uuid.UUID | None = None
    author_id: uuid.UUID | None = None
    kind: str = "client"
    # The intake a case belongs to (a review assignment opens that case alone).
    intake_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class ClientScope:
    """Clients a query may return: all of an organisation's, or only the listed ids."""

    organization_id: uuid.UUID
    client_ids: frozenset[uuid.UUID] | None

    @property
    def whole_organization(self) -> bool:
        """Whether every client of the organisation is in scope."""
        return self.client_ids is None

    def contains(self, organization_id: uuid.UUID, client_id: uuid.UUID) -> bool:
        """Whether the client ``client_id`` of ``organization_id`` is in scope."""
        if organization_id != self.organization_id:
            return False
        return self.client_ids is None or client_id in self.client_ids


def _client_in_scope(actor: Actor, action: Action, scope: Scope, resource: Resource) -> bool:
    client_id = resource.client_id
    if scope is Scope.ORGANIZATION:
        return True
    if scope is Scope.OWN:
        return actor.client_id is not None and client_id == actor.client_id
    on_care_team = client_id in actor.care_team_client_ids
    if scope is Scope.AUTHOR:
        return on_care_team and resource.author_id == actor.user_id
    if on_care_team:
        return True
    if action in BREAK_GLASS_ACTIONS and client_id in actor.break_glass_client_ids:
        return True
    return (
        action in ASSIGNMENT_ACTIONS
        and resource.intake_id is not None
        and resource.intake_id in actor.assigned_intake_ids
    )


def can(actor: Actor, action: Action, resource: Resource | None = None) -> bool:
    """Whether ``actor`` may take ``action`` on ``resource`` (None: organisation-wide)."""
    if actor.allowed_actions is not None and action not in actor.allowed_actions:
        return False
    scope = scope_of(actor.role, action)
    if scope is None:
        return False
    if resource is not None:
        if resource.organization_id != actor.organization_id:
            return False
        if resource.kind == PSYCHOTHERAPY_NOTE_KIND and resource.author_id != actor.user_id:
            return False
    if action not in CLIENT_ACTIONS:
        return True
    if resource is None or resource.client_id is None:
        return False
    return _client_in_scope(actor, action, scope, resource)


def readable_clients(actor: Actor, action: Action = Action.CLIENT_READ) -> ClientScope:
    """The clients on which ``actor`` may take ``action``: where every query must start."""
    if action not in CLIENT_ACTIONS:
        raise ValueError(f"{action} is not an action on a client's record")
    scope = scope_of(actor.role, action)
    nobody = ClientScope(actor.organization_id, frozenset())
    if actor.allowed_actions is not None and action not in actor.allowed_actions:
        return nobody
    if scope is None:
        return nobody
    if scope is Scope.ORGANIZATION:
        return ClientScope(actor.organization_id, None)
    if scope is Scope.OWN:
        if actor.client_id is None:
            return nobody
        return ClientScope(actor.organization_id, frozenset({actor.client_id}))
    if scope is Scope.AUTHOR:
        raise ValueError(f"{action} depends on each note's author; filter notes by author")
    extra = actor.break_glass_client_ids if action in BREAK_GLASS_ACTIONS else frozenset()
    return ClientScope(actor.organization_id, actor.care_team_client_ids | extra)


__all__ = ["Action", "Actor", "ClientScope", "Resource", "Role", "can", "readable_clients"]
