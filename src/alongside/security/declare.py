"""Each route says in its signature what it needs, as Polar's ``Authenticator(required_scopes=…)``
does: one typed dependency that checks it and that tests read back from ``app.routes``.

API
---
- :func:`requires` ``(*actions, public=False, own_space=False, staff=False)``: the dependency
  to put in a route's signature, as ``permit: Annotated[Permit, requires(Action.CLIENT_READ)]``.
- :class:`Declaration`: what a route declared; :meth:`Declaration.allows` ``(role)`` says
  whether a role passes the route-level gate.
- :class:`Permit`: what the dependency hands the route (the declaration and, unless the route
  is public, the signed-in person).
- :func:`declaration_of` ``(call)``: the declaration carried by a dependency callable, or None.

The kinds of declaration (exactly one per route):

- ``requires(Action.X, Action.Y)``: the signed-in person's role holds at least one of the
  actions in :data:`~alongside.security.permissions.GRANTS` (any scope). The service still
  decides about the object with ``can(actor, action, resource)``.
- ``requires(Action.X, own_space=True)``: the person's own record in their own space
  (``/me/…``): the role holds one of the actions with scope ``own`` (client users).
- ``requires(own_space=True)``: anyone signed in, about themselves (their home, their session).
- ``requires(staff=True)``: anyone signed in with a staff role, about themselves (their
  account's second factor and API tokens, the API's documentation).
- ``requires(public=True)``: no sign-in; the route authenticates otherwise (an intake or
  calendar token in its path) or serves nothing private.

A role the gate refuses gets the same 404 a missing address gets (never 403, so nothing's
existence is confirmed), and the refusal is audited like the services' refusals.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from alongside.deps import NOT_FOUND_MESSAGE, CurrentSignedIn, DbSession, SignedIn
from alongside.kit.time import utcnow
from alongside.models import Client
from alongside.security.guard import refuse
from alongside.security.permissions import Action, Role, Scope, scope_of

DECLARATION_ATTRIBUTE = "__alongside_requires__"


@dataclass(frozen=True, slots=True)
class Declaration:
    """What a route needs: actions (optionally in the person's own space), staff, or nothing."""

    actions: frozenset[Action] = frozenset()
    public: bool = False
    own_space: bool = False
    staff: bool = False

    def __post_init__(self) -> None:
        kinds = [bool(self.actions), self.public, self.staff]
        if sum(kinds) > 1 or (self.own_space and (self.public or self.staff)):
            raise ValueError("Declare actions, public, own_space or staff: one kind per route.")
        if not any(kinds) and not self.own_space:
            raise ValueError("Declare what the route needs: actions, public, own_space or staff.")

    def scope_for(self, role: str) -> Scope | None:
        """The widest scope on which ``role`` holds one of the actions (None: none of them)."""
        order = (Scope.ORGANIZATION, Scope.CARE_TEAM, Scope.AUTHOR, Scope.OWN)
        scopes = {scope_of(role, action) for action in self.actions}
        if self.own_space:
            scopes &= {Scope.OWN}
        return next((scope for scope in order if scope in scopes), None)

    def allows(self, role: str) -> bool:
        """Whether a signed-in person of ``role`` passes the route-level gate."""
        if self.public:
            return True
        if self.actions:
            return self.scope_for(role) is not None
        if self.staff:
            return role != Role.CLIENT
        return True  # own_space alone: anyone signed in, about themselves

    def describe(self) -> str:
        """A short human-readable form, for test messages and the docs."""
        if self.public:
            return "public"
        if self.staff:
            return "staff"
        names = ", ".join(sorted(action.value for action in self.actions))
        if self.own_space:
            return f"own space ({names})" if names else "own space"
        return names


@dataclass(frozen=True, slots=True)
class Permit:
    """What a route's declaration lets through: the declaration and who signed in."""

    declaration: Declaration
    signed_in: SignedIn | None


def requires(
    *actions: Action,
    public: bool = False,
    own_space: bool = False,
    staff: bool = False,
    audited_as: str = "route",
) -> Any:
    """The dependency a route declares its permission with (see the module docstring).

    ``audited_as``: the resource type a refusal is audited under (default ``route``, with the
    route as its id); a route whose service audited its refusals under its own type keeps it."""
    declaration = Declaration(frozenset(actions), public, own_space, staff)
    dependency: Callable[..., Any]
    if public:

        async def public_route() -> Permit:
            # Async and touching nothing: a public route needs no sign-in.
            return Permit(declaration, None)

        dependency = public_route
    else:

        def signed_in_route(request: Request, db: DbSession, signed_in: CurrentSignedIn) -> Permit:
            # A plain def: a refusal is audited, which is database work (threadpool).
            if not declaration.allows(signed_in.actor.role):
                route = request.scope.get("route")
                template = getattr(route, "path", request.url.path)
                raise refuse(
                    db,
                    user=signed_in.user,
                    actor=signed_in.actor,
                    resource_type=audited_as,
                    resource_id=f"{request.method} {template}"[:128],
                    client_id=_named_client(db, request, signed_in),
                    now=utcnow(),
                    message=NOT_FOUND_MESSAGE,
                )
            return Permit(declaration, signed_in)

        dependency = signed_in_route
    setattr(dependency, DECLARATION_ATTRIBUTE, declaration)
    return Depends(dependency)


def _named_client(db: Session, request: Request, signed_in: SignedIn) -> uuid.UUID | None:
    """The client the request names (path or query ``client_id``), if it is one of the
    actor's organisation: a refusal is then in that client's access log, as the services'
    refusals are; another organisation's client is never named."""
    raw = request.path_params.get("client_id") or request.query_params.get("client_id")
    try:
        client_id = uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None
    if client_id is None:
        return None
    client = db.get(Client, client_id)
    if client is None or client.organization_id != signed_in.actor.organization_id:
        return None
    return client_id


def declaration_of(call: object) -> Declaration | None:
    """The declaration a :func:`requires` dependency carries, or None for any other callable."""
    found = getattr(call, DECLARATION_ATTRIBUTE, None)
    return found if isinstance(found, Declaration) else None


__all__ = ["Declaration", "Permit", "declaration_of", "requires"]
