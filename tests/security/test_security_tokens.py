"""API tokens: what is refused when issuing one (in words), and when a bearer secret stops
working (revoked, expired, the person left, not ours)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy.orm import Session

from alongside.errors import InvalidInput, NotFound
from alongside.models import Role
from alongside.security.tokens import (
    DEFAULT_LIFETIME,
    create_token,
    list_tokens,
    resolve_token,
    revoke_token,
)
from tests.fixtures.factories import World

T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("name", "scopes", "lifetime", "message"),
    [
        ("export", ["client.read"], dt.timedelta(hours=12), "from 1 day to 10 years"),
        ("export", ["client.read"], dt.timedelta(days=3651), "from 1 day to 10 years"),
        ("export", ["client.read", "client.telepathy"], DEFAULT_LIFETIME, "Unknown scopes"),
        ("export", ["user.manage"], DEFAULT_LIFETIME, "Your role cannot grant: user.manage"),
        ("export", [], DEFAULT_LIFETIME, "at least one scope"),
        ("   ", ["client.read"], DEFAULT_LIFETIME, "Give the token a name"),
    ],
)
def test_issuing_a_token_is_refused_in_words(
    db: Session,
    world: World,
    name: str,
    scopes: list[str],
    lifetime: dt.timedelta,
    message: str,
) -> None:
    clinician = world.users[Role.CLINICIAN]
    with pytest.raises(InvalidInput, match=message):
        create_token(db, clinician, name=name, scopes=scopes, now=T0, lifetime=lifetime)
    assert list_tokens(db, clinician) == []


def test_clients_have_no_tokens_to_issue_list_or_revoke(db: Session, world: World) -> None:
    client = world.client_user
    with pytest.raises(NotFound):
        create_token(db, client, name="mine", scopes=["client.read"], now=T0)
    with pytest.raises(NotFound):
        list_tokens(db, client)
    _secret, token = create_token(
        db, world.users[Role.CLINICIAN], name="export", scopes=["client.read"], now=T0
    )
    with pytest.raises(NotFound):
        revoke_token(db, client, token.id, T0)


def test_a_secret_works_until_it_expires_is_revoked_or_its_person_leaves(
    db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    secret, token = create_token(
        db, clinician, name="  export  ", scopes=["client.read", "client.read"], now=T0
    )
    assert token.name == "export"
    assert token.scopes == ["client.read"]
    assert resolve_token(db, secret, T0) == (clinician, token)
    assert resolve_token(db, secret, T0 + DEFAULT_LIFETIME) is None  # expired
    assert resolve_token(db, secret.removeprefix("alg_"), T0) is None  # not one of ours
    assert resolve_token(db, "alg_" + "x" * 43, T0) is None  # never issued

    clinician.is_active = False
    db.flush()
    assert resolve_token(db, secret, T0) is None
    clinician.is_active = True
    db.flush()

    revoked = revoke_token(db, clinician, token.id, T0 + dt.timedelta(hours=1))
    assert revoked.revoked_at == T0 + dt.timedelta(hours=1)
    assert resolve_token(db, secret, T0 + dt.timedelta(hours=2)) is None
    # Revoking again keeps the first time.
    assert revoke_token(db, clinician, token.id, T0 + dt.timedelta(hours=3)).revoked_at == (
        T0 + dt.timedelta(hours=1)
    )


def test_nobody_revokes_a_token_that_is_not_theirs(db: Session, world: World) -> None:
    _secret, token = create_token(
        db, world.users[Role.CLINICIAN], name="export", scopes=["client.read"], now=T0
    )
    for someone in (world.other_clinician, world.users[Role.ADMIN]):
        with pytest.raises(NotFound, match="No token with this id is yours"):
            revoke_token(db, someone, token.id, T0)
    with pytest.raises(NotFound):
        revoke_token(db, world.users[Role.CLINICIAN], uuid.uuid4(), T0)
    assert token.revoked_at is None
