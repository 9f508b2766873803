"""Security emails state when the change happened on the recipient's own clock (their zone if
they chose one on the account page, else their organisation's), with the zone named: the
same rule the pages use (``zones.OrganisationZone``). They said "UTC" to everyone before."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.accounts import second_factor_resets
from alongside.kit.time import utcnow
from alongside.models import OutboxMessage, Role, User
from alongside.models.encrypted import keyring_for
from alongside.security import mfa
from alongside.security.access import actor_for
from alongside.zones import when_for
from tests.fixtures.factories import PASSWORD, World, create_staff
from tests.fixtures.web import totp_code


def _expected(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"at {local:%H:%M} {local.tzname()} ({zone})"


def _mail_to(db: Session, person: User) -> OutboxMessage:
    [mail] = db.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == "account_security")
        .where(OutboxMessage.organization_id == person.organization_id)
    ).all()
    assert mail.recipient == person.email
    return mail


def _renew_codes(db: Session, person: User) -> datetime:
    now = utcnow()
    mfa.new_recovery_codes(
        db,
        person,
        password=PASSWORD,
        code=totp_code(person),
        provider=keyring_for(db).provider,
        now=now,
        address=None,
    )
    return now


def test_a_second_factor_change_is_mailed_on_the_persons_own_clock(
    db: Session, world: World
) -> None:
    world.org.timezone = "America/New_York"
    lead = world.users[Role.CLINICAL_LEAD]
    lead.timezone = "Asia/Tokyo"
    db.flush()
    now = _renew_codes(db, lead)
    body = _mail_to(db, lead).body
    assert _expected(now, "Asia/Tokyo") in body
    assert "UTC" not in body
    assert "America/New_York" not in body


def test_without_a_zone_of_their_own_the_organisations_clock_is_used(
    db: Session, world: World
) -> None:
    world.org.timezone = "America/New_York"
    admin = world.users[Role.ADMIN]
    assert admin.timezone is None
    db.flush()
    now = _renew_codes(db, admin)
    assert _expected(now, "America/New_York") in _mail_to(db, admin).body


def test_an_approved_reset_is_mailed_on_the_persons_own_clock(db: Session, world: World) -> None:
    world.org.timezone = "Europe/London"
    admin, lead = world.users[Role.ADMIN], world.users[Role.CLINICAL_LEAD]
    person = create_staff(db, world.org, Role.ADMIN)
    person.timezone = "Australia/Sydney"
    now = datetime(2031, 1, 15, 12, 0, tzinfo=UTC)
    reset = second_factor_resets.request_reset(
        db,
        actor=actor_for(db, admin, now),
        by=admin,
        user_id=person.id,
        reason="Lost their phone",
        link_base="https://clinic.test",
        now=now,
    )
    second_factor_resets.decide(
        db, actor=actor_for(db, lead, now), by=lead, reset_id=reset.id, approve=True, now=now
    )
    body = _mail_to(db, person).body
    # 12:00 UTC is 23:00 in Sydney (daylight time in January), named.
    assert "When: Wednesday 15 January 2031 at 23:00 AEDT (Australia/Sydney)." in body


def test_an_unknown_stored_zone_reads_as_utc_named(db: Session, world: World) -> None:
    person = world.users[Role.CLINICIAN]
    person.timezone = "Mars/Olympus_Mons"
    moment = datetime(2031, 3, 4, 9, 5, tzinfo=UTC)
    assert when_for(person, moment) == "Tuesday 4 March 2031 at 09:05 UTC (UTC)"
    person.timezone = "Europe/Paris"
    assert when_for(person, moment) == "Tuesday 4 March 2031 at 10:05 CET (Europe/Paris)"
