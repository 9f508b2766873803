"""Emergency access in the service: refused when it is not needed, reviewed only by the
clinical lead of the same organisation, and acknowledged once."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy.orm import Session

from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.models import Role
from alongside.security import access
from tests.fixtures.factories import World, create_staff

T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
REASON = "Client disclosed a plan on the phone tonight"


def _grant(db: Session, world: World) -> uuid.UUID:
    actor = access.actor_for(db, world.users[Role.CLINICIAN], T0)
    grant = access.request_break_glass(
        db, actor, client_id=world.outside_client.id, reason=REASON, now=T0, minutes=60
    )
    return grant.id


def test_emergency_access_is_refused_outside_the_organisation_and_on_the_care_team(
    db: Session, world: World
) -> None:
    actor = access.actor_for(db, world.users[Role.CLINICIAN], T0)
    with pytest.raises(InvalidInput, match="Say why you need emergency access"):
        access.request_break_glass(
            db, actor, client_id=world.outside_client.id, reason="  urgent ", now=T0, minutes=60
        )
    # Another organisation's client, or none at all, reads the same: not found.
    for elsewhere in (world.foreign_client.id, uuid.uuid4()):
        with pytest.raises(NotFound, match=access.CLIENT_NOT_FOUND):
            access.request_break_glass(
                db, actor, client_id=elsewhere, reason=REASON, now=T0, minutes=60
            )
    with pytest.raises(Conflict, match="already on your care team"):
        access.request_break_glass(
            db, actor, client_id=world.own_client.id, reason=REASON, now=T0, minutes=60
        )


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.COORDINATOR, Role.ADMIN, Role.CLIENT])
def test_only_the_clinical_lead_reviews_emergency_access_and_held_back_sign_ins(
    db: Session, world: World, role: Role
) -> None:
    grant_id = _grant(db, world)
    actor = access.actor_for(db, world.users[role], T0)
    with pytest.raises(NotFound):
        access.break_glass_review_list(db, actor)
    with pytest.raises(NotFound):
        access.assignment_review_list(db, actor, T0)
    with pytest.raises(NotFound):
        access.held_back_sign_ins(db, actor, T0)
    with pytest.raises(NotFound, match="No emergency access with this id"):
        access.acknowledge_break_glass(db, actor, grant_id, T0)


def test_the_lead_acknowledges_once_and_only_in_their_own_organisation(
    db: Session, world: World
) -> None:
    grant_id = _grant(db, world)
    lead = access.actor_for(db, world.users[Role.CLINICAL_LEAD], T0)
    assert [g.id for g in access.break_glass_review_list(db, lead)] == [grant_id]
    assert access.assignment_review_list(db, lead, T0) == []
    assert access.held_back_sign_ins(db, lead, T0) == []

    first = access.acknowledge_break_glass(db, lead, grant_id, T0 + dt.timedelta(hours=1))
    again = access.acknowledge_break_glass(db, lead, grant_id, T0 + dt.timedelta(hours=2))
    assert again.acknowledged_at == first.acknowledged_at == T0 + dt.timedelta(hours=1)
    assert again.acknowledged_by == world.users[Role.CLINICAL_LEAD].id
    assert access.break_glass_review_list(db, lead) == []

    elsewhere = access.actor_for(db, create_staff(db, world.other_org, Role.CLINICAL_LEAD), T0)
    with pytest.raises(NotFound):
        access.acknowledge_break_glass(db, elsewhere, grant_id, T0)
    with pytest.raises(NotFound):
        access.acknowledge_break_glass(db, lead, uuid.uuid4(), T0)
