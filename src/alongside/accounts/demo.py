"""The demo clinic's staff business: an invitation waiting to be accepted, a second-factor
reset waiting for the clinical lead, and a clinician who reads times in their own zone."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from alongside.accounts import invitations, second_factor_resets
from alongside.models import Role, User
from alongside.models.encrypted import keyring_for
from alongside.security.access import actor_for
from alongside.security.mfa import begin_enrolment

# The demo mailbox never shows a message's body, so the link's address is only a stand-in;
# 'Send again' on the Staff page uses the running server's own address.
DEMO_LINK_BASE = "http://127.0.0.1:8000"
OWN_ZONE = "America/Los_Angeles"


def seed_staff_business(
    session: Session,
    *,
    admin: User,
    lost_phone: User,
    own_zone: User,
    now: datetime,
) -> None:
    """One invitation sent yesterday, one reset asked for this morning, one own time zone."""
    invitations.invite(
        session,
        actor=actor_for(session, admin, now),
        by=admin,
        email="noor.haddad@demo.test",
        display_name="Noor Haddad",
        role=Role.CLINICIAN,
        link_base=DEMO_LINK_BASE,
        now=now - timedelta(days=1),
    )
    # The clinician had a second factor (the demo skips asking for it at sign-in).
    begin_enrolment(lost_phone, keyring_for(session).provider)
    lost_phone.totp_enabled = True
    session.flush()
    second_factor_resets.request_reset(
        session,
        actor=actor_for(session, admin, now),
        by=admin,
        user_id=lost_phone.id,
        reason="Lost their phone on holiday; the recovery codes were in the same bag",
        link_base=DEMO_LINK_BASE,
        now=now - timedelta(hours=3),
    )
    own_zone.timezone = OWN_ZONE
    session.flush()
