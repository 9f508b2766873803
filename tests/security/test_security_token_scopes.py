"""An API token's scopes narrow what its user's role grants, never widen it."""

from __future__ import annotations

import uuid

from alongside.security.permissions import Action
from alongside.security.policy import Actor, Resource, can, readable_clients

ORG = uuid.uuid4()
CLIENT = uuid.uuid4()


def _actor(allowed: frozenset[Action] | None) -> Actor:
    return Actor(
        user_id=uuid.uuid4(),
        organization_id=ORG,
        role="clinician",
        care_team_client_ids=frozenset({CLIENT}),
        allowed_actions=allowed,
    )


def test_scopes_narrow_the_role() -> None:
    resource = Resource(organization_id=ORG, client_id=CLIENT)
    read_only = _actor(frozenset({Action.CLIENT_READ}))
    assert can(read_only, Action.CLIENT_READ, resource)
    assert not can(read_only, Action.NOTE_WRITE, resource)
    assert readable_clients(read_only).client_ids == frozenset({CLIENT})
    assert readable_clients(read_only, Action.CLINICAL_READ).client_ids == frozenset()


def test_scopes_never_widen_the_role() -> None:
    widened = _actor(frozenset({Action.USER_MANAGE, Action.CLIENT_READ}))
    assert not can(widened, Action.USER_MANAGE)


def test_no_scopes_means_the_role_alone() -> None:
    resource = Resource(organization_id=ORG, client_id=CLIENT)
    assert can(_actor(None), Action.NOTE_WRITE, resource)
