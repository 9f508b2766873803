"""Scheduling service: rules, profiles, preferences, availability and free slots (and the small
helpers the other scheduling test files import)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alongside.errors import InvalidInput, NotFound
from alongside.models import AuditEvent, Client, Organization, Role, User
from alongside.scheduling import service
from alongside.security.access import actor_for
from alongside.security.policy import Actor
from tests.fixtures.factories import World, create_staff

# A Monday, 08:00 UTC; the clinic works 09:00 to 17:00 UTC on weekdays.
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
MONDAY_NINE = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


def actor(session: Session, user: User, now: datetime = NOW) -> Actor:
    """The policy's view of a user now."""
    return actor_for(session, user, now)


def working_clinician(
    session: Session,
    organization: Organization,
    *,
    languages: tuple[str, ...] = ("en",),
    timezone: str = "UTC",
    role: Role = Role.CLINICIAN,
    **profile: object,
) -> User:
    """A clinician with a profile and weekday hours 09:00 to 17:00 in ``timezone``."""
    clinician = create_staff(session, organization, role)
    me = actor(session, clinician)
    service.save_clinician_profile(
        session,
        actor=me,
        clinician_id=clinician.id,
        languages=list(languages),
        timezone=timezone,
        **profile,  # type: ignore[arg-type]
    )
    for weekday in range(5):
        service.add_weekly_hours(
            session,
            actor=me,
            clinician_id=clinician.id,
            weekday=weekday,
            start=time(9),
            end=time(17),
        )
    return clinician


@dataclass
class Clinic:
    """A world plus a working clinician and a coordinator's actor."""

    world: World
    clinician: User
    coordinator: User
    client: Client

    def as_(self, session: Session, user: User) -> Actor:
        """The actor of ``user``."""
        return actor(session, user)


def clinic(session: Session, world: World) -> Clinic:
    """The standard world with the care-team clinician working weekdays."""
    clinician = world.users[Role.CLINICIAN]
    me = actor(session, clinician)
    service.save_clinician_profile(session, actor=me, clinician_id=clinician.id, languages=["en"])
    for weekday in range(5):
        service.add_weekly_hours(
            session,
            actor=me,
            clinician_id=clinician.id,
            weekday=weekday,
            start=time(9),
            end=time(17),
        )
    return Clinic(world, clinician, world.users[Role.COORDINATOR], world.own_client)


def audit_count(session: Session, resource_type: str) -> int:
    """How many audit events name this resource type."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.resource_type == resource_type)
        )
        or 0
    )


# ---------------------------------------------------------------------------------------------


def test_rules_default_then_set_by_a_coordinator(db: Session, world: World) -> None:
    assert service.rules_for(db, world.org.id) == service.DEFAULT_RULES
    coordinator = actor(db, world.users[Role.COORDINATOR])
    rules = service.set_rules(
        db, actor=coordinator, now=NOW, rescreen_interval_days=14, reminder_offsets_hours=[2, 24]
    )
    assert rules.rescreen_interval_days == 14
    assert rules.reminder_offsets_hours == (24, 2)
    assert service.rules_for(db, world.org.id) == rules
    assert service.rules_for(db, world.other_org.id) == service.DEFAULT_RULES


@pytest.mark.parametrize(
    "changes",
    [
        {"rescreen_interval_days": 400},
        {"reminder_offsets_hours": [0]},
        {"reminder_offsets_hours": [2, 2]},
        {"slot_minutes": 5},
        {"client_change_cutoff_hours": -1},
    ],
)
def test_rules_refuse_nonsense(db: Session, world: World, changes: dict[str, object]) -> None:
    coordinator = actor(db, world.users[Role.COORDINATOR])
    with pytest.raises(InvalidInput):
        service.set_rules(db, actor=coordinator, now=NOW, **changes)  # type: ignore[arg-type]


def test_rules_are_not_for_clinicians(db: Session, world: World) -> None:
    with pytest.raises(NotFound):
        service.set_rules(db, actor=actor(db, world.users[Role.CLINICIAN]), now=NOW)


def test_profile_codes_are_checked_against_the_vocabulary(db: Session, world: World) -> None:
    clinician = world.users[Role.CLINICIAN]
    me = actor(db, clinician)
    profile = service.save_clinician_profile(
        db,
        actor=me,
        clinician_id=clinician.id,
        specialties=["trauma", "depression"],
        languages=["en", "es"],
        modalities=["emdr"],
        populations=["adults"],
        gender="woman",
        telehealth=False,
        timezone="Europe/London",
        caseload_capacity=20,
    )
    assert profile.specialties == ["depression", "trauma"]
    assert (profile.gender, profile.in_person, profile.telehealth) == ("woman", True, False)
    assert profile.timezone == "Europe/London"
    with pytest.raises(InvalidInput, match="'CBT'"):
        service.save_clinician_profile(db, actor=me, clinician_id=clinician.id, modalities=["CBT"])
    with pytest.raises(InvalidInput, match="time zone"):
        service.save_clinician_profile(db, actor=me, clinician_id=clinician.id, timezone="Mars/X")
    with pytest.raises(InvalidInput, match="in person, by telehealth"):
        service.save_clinician_profile(db, actor=me, clinician_id=clinician.id, in_person=False)


def test_a_clinician_cannot_edit_a_colleague_and_other_orgs_are_invisible(
    db: Session, world: World
) -> None:
    me = actor(db, world.users[Role.CLINICIAN])
    with pytest.raises(NotFound):
        service.save_clinician_profile(db, actor=me, clinician_id=world.other_clinician.id)
    foreign = create_staff(db, world.other_org, Role.CLINICIAN)
    coordinator = actor(db, world.users[Role.COORDINATOR])
    with pytest.raises(NotFound):
        service.save_clinician_profile(db, actor=coordinator, clinician_id=foreign.id)
    with pytest.raises(NotFound):
        service.add_weekly_hours(
            db, actor=coordinator, clinician_id=foreign.id, weekday=0, start=time(9), end=time(10)
        )


def test_preferences_saved_checked_and_audited(db: Session, world: World) -> None:
    coordinator = world.users[Role.COORDINATOR]
    me = actor(db, coordinator)
    before = audit_count(db, "client_preference")
    saved = service.save_preferences(
        db,
        user=coordinator,
        actor=me,
        client_id=world.own_client.id,
        now=NOW,
        language="es",
        modality="cbt",
        preferred_gender="woman",
        setting="telehealth",
        times_of_day=["evening"],
        specialty="anxiety",
        remind_email=True,
    )
    assert (saved.language, saved.setting, saved.times_of_day) == ("es", "telehealth", ["evening"])
    assert saved.specialty == "anxiety"
    read = service.get_preferences(
        db, user=coordinator, actor=me, client_id=world.own_client.id, now=NOW
    )
    assert read.remind_email is True
    assert read.remind_webhook is False
    assert audit_count(db, "client_preference") == before + 2
    with pytest.raises(InvalidInput, match="'klingon'"):
        service.save_preferences(
            db,
            user=coordinator,
            actor=me,
            client_id=world.own_client.id,
            now=NOW,
            language="klingon",
        )
    with pytest.raises(InvalidInput, match="setting"):
        service.save_preferences(
            db, user=coordinator, actor=me, client_id=world.own_client.id, now=NOW, setting="moon"
        )


def test_preferences_of_a_client_outside_reach_answer_404(db: Session, world: World) -> None:
    clinician = world.users[Role.CLINICIAN]
    for client_id in (world.outside_client.id, world.foreign_client.id, uuid.uuid4()):
        with pytest.raises(NotFound):
            service.get_preferences(
                db, user=clinician, actor=actor(db, clinician), client_id=client_id, now=NOW
            )
    client_user = world.client_user
    own = service.get_preferences(
        db, user=client_user, actor=actor(db, client_user), client_id=world.own_client.id, now=NOW
    )
    assert own.setting == "either"


def test_free_slots_follow_hours_leave_extra_hours_and_bookings(db: Session, world: World) -> None:
    c = clinic(db, world)
    me = actor(db, c.clinician)
    day_end = MONDAY_NINE.replace(hour=17)
    slots = service.free_slots(db, c.clinician, MONDAY_NINE, day_end, 60)
    assert [s.start.hour for s in slots] == list(range(9, 17))
    service.add_leave(
        db,
        actor=me,
        clinician_id=c.clinician.id,
        starts_at=MONDAY_NINE.replace(hour=12),
        ends_at=MONDAY_NINE.replace(hour=14),
        note="training",
    )
    slots = service.free_slots(db, c.clinician, MONDAY_NINE, day_end, 60)
    assert [s.start.hour for s in slots] == [9, 10, 11, 14, 15, 16]
    saturday = date(2030, 1, 12)
    service.add_extra_hours(
        db, actor=me, clinician_id=c.clinician.id, day=saturday, start=time(10), end=time(12)
    )
    weekend = service.free_slots(
        db,
        c.clinician,
        datetime(2030, 1, 12, tzinfo=UTC),
        datetime(2030, 1, 13, tzinfo=UTC),
        60,
    )
    assert [s.start.hour for s in weekend] == [10, 11]


def test_hours_follow_the_clinicians_zone_across_daylight_saving(db: Session, world: World) -> None:
    clinician = working_clinician(db, world.org, timezone="Europe/London")
    # 2030-03-31 is the last Sunday of March: London moves from UTC+0 to UTC+1.
    before = service.free_slots(
        db, clinician, datetime(2030, 3, 29, tzinfo=UTC), datetime(2030, 3, 30, tzinfo=UTC), 60
    )
    after = service.free_slots(
        db, clinician, datetime(2030, 4, 1, tzinfo=UTC), datetime(2030, 4, 2, tzinfo=UTC), 60
    )
    assert before[0].start.hour == 9
    assert after[0].start.hour == 8  # still 09:00 on the London clock


def test_removing_availability(db: Session, world: World) -> None:
    c = clinic(db, world)
    me = actor(db, c.clinician)
    rows = service.list_availability(db, [c.clinician.id])
    assert len(rows) == 5
    service.remove_availability(db, actor=me, availability_id=rows[0].id)
    assert len(service.list_availability(db, [c.clinician.id])) == 4
    with pytest.raises(NotFound):
        service.remove_availability(
            db, actor=actor(db, world.other_clinician), availability_id=rows[1].id
        )


def test_an_offered_slot_must_lie_in_working_time(db: Session, world: World) -> None:
    c = clinic(db, world)
    assert service.slot_is_offered(
        db, c.clinician, MONDAY_NINE, MONDAY_NINE + timedelta(minutes=50)
    )
    assert service.slot_is_offered(
        db, c.clinician, MONDAY_NINE.replace(hour=16, minute=10), MONDAY_NINE.replace(hour=17)
    )
    assert not service.slot_is_offered(
        db,
        c.clinician,
        MONDAY_NINE.replace(hour=16, minute=30),
        MONDAY_NINE.replace(hour=17, minute=20),
    )
    assert not service.slot_is_offered(
        db, c.clinician, MONDAY_NINE.replace(minute=3), MONDAY_NINE.replace(minute=53)
    )
    sunday = datetime(2030, 1, 13, 10, tzinfo=UTC)
    assert not service.slot_is_offered(db, c.clinician, sunday, sunday + timedelta(hours=1))
