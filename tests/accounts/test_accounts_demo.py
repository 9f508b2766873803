"""The demo's staff business: an invitation waiting, a reset waiting for the lead, and a
clinician with their own time zone, made through the real services."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.accounts.demo import OWN_ZONE, seed_staff_business
from alongside.kit.time import utcnow
from alongside.models import (
    AuditEvent,
    InvitationState,
    ResetStatus,
    Role,
    SecondFactorReset,
    StaffInvitation,
)
from tests.fixtures.factories import World


def test_the_demo_has_an_invitation_a_reset_and_an_own_time_zone(db: Session, world: World) -> None:
    now = utcnow()
    clinician, other = world.users[Role.CLINICIAN], world.other_clinician
    seed_staff_business(
        db, admin=world.users[Role.ADMIN], lost_phone=clinician, own_zone=other, now=now
    )
    [invitation] = db.scalars(select(StaffInvitation)).all()
    assert invitation.state(now) is InvitationState.WAITING
    [reset] = db.scalars(select(SecondFactorReset)).all()
    assert reset.status is ResetStatus.WAITING
    assert reset.user_id == clinician.id
    assert clinician.totp_enabled
    assert other.timezone == OWN_ZONE
    audited = {e.resource_type for e in db.scalars(select(AuditEvent))}
    assert {"staff_invitation", "second_factor_reset"} <= audited
