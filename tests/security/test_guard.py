"""One audited loader for every domain (security/guard.py): a row the actor may have, or a
404 that reads the same for missing, foreign and not-yours rows, with the refusal kept in the
audit log; and no domain writes its own get-check-refuse loader again."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import alongside
from alongside.db import AFTER_ROLLBACK
from alongside.errors import NotFound
from alongside.kit.time import utcnow
from alongside.models import AuditEvent, AuditOutcome, Client, Role
from alongside.security.access import actor_for
from alongside.security.guard import load_or_refuse
from alongside.security.permissions import Action
from alongside.security.policy import Resource, can
from tests.fixtures.factories import World


def _load(db: Session, world: World, client_id: uuid.UUID) -> Client:
    user = world.users[Role.CLINICIAN]
    actor = actor_for(db, user, utcnow())
    return load_or_refuse(
        db,
        Client,
        client_id,
        user=user,
        actor=actor,
        resource_type="client",
        allowed=lambda c: can(actor, Action.CLIENT_READ, Resource(c.organization_id, c.id)),
        now=utcnow(),
        audit=None,
    )


def _refusal_named(db: Session, client_id: uuid.UUID) -> uuid.UUID | None:
    """Run the refusal's audit write (it runs after the request's rollback) and return the
    client it names."""
    writes = db.info.pop(AFTER_ROLLBACK, [])
    assert len(writes) == 1
    writes[0](db)
    db.flush()
    event = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.outcome == AuditOutcome.REFUSED)
        .where(AuditEvent.resource_id == str(client_id))
    ).one()
    return event.client_id


def test_the_own_client_loads_and_the_others_read_like_missing(db: Session, world: World) -> None:
    assert _load(db, world, world.own_client.id).id == world.own_client.id  # positive control
    messages = set()
    named = {}
    for label, target in (
        ("outside", world.outside_client.id),
        ("foreign", world.foreign_client.id),
        ("missing", uuid.uuid4()),
    ):
        with pytest.raises(NotFound) as refused:
            _load(db, world, target)
        messages.add(refused.value.message)
        named[label] = _refusal_named(db, target)
    assert len(messages) == 1  # the same answer whatever the reason
    # Only a client of the actor's own organisation is named in the refusal's audit event.
    assert named == {"outside": world.outside_client.id, "foreign": None, "missing": None}


def test_no_domain_writes_its_own_get_check_refuse_loader() -> None:
    """A function that both gets a row by id and raises ``refuse(...)`` is a copy of the
    guard's loader; the five copies drifted in what they audited."""
    root = Path(alongside.__file__).parent
    copies = []
    refusers = 0
    for path in root.rglob("*.py"):
        if path.parent.name == "security" and path.name == "guard.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            calls = [c for c in ast.walk(node) if isinstance(c, ast.Call)]
            gets = any(
                isinstance(c.func, ast.Attribute)
                and c.func.attr == "get"
                and isinstance(c.func.value, ast.Name)
                and c.func.value.id in ("session", "db")
                for c in calls
            )
            refuses = any(isinstance(c.func, ast.Name) and c.func.id == "refuse" for c in calls)
            refusers += refuses
            if gets and refuses:
                copies.append(f"{path.relative_to(root)}:{node.name}")
    assert refusers >= 2  # positive control: the walk sees the remaining direct refusals
    assert copies == []
