"""Booking, rescheduling, cancelling and no-shows: reasons, audit, access and no double booking."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_scheduling_service import MONDAY_NINE, NOW, actor, audit_count, clinic

from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.models import Appointment, AppointmentStatus, CareTeam, Role
from alongside.scheduling import booking, service
from tests.fixtures.factories import World, create_client


def _book(db: Session, world: World, **overrides: object) -> Appointment:
    c = clinic(db, world)
    values: dict[str, object] = {
        "user": c.coordinator,
        "actor": actor(db, c.coordinator),
        "client_id": c.client.id,
        "clinician_id": c.clinician.id,
        "starts_at": MONDAY_NINE,
        "reason": "First assessment after triage",
        "now": NOW,
    }
    values.update(overrides)
    return booking.book_appointment(db, **values)  # type: ignore[arg-type]


def test_book_stores_reason_encrypted_and_audits(db: Session, world: World) -> None:
    before = audit_count(db, "appointment")
    appointment = _book(db, world)
    assert appointment.status is AppointmentStatus.BOOKED
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=50)
    assert appointment.reason == "First assessment after triage"
    assert b"First assessment" not in (appointment.reason_ct or b"")
    assert audit_count(db, "appointment") == before + 1


def test_booking_puts_the_clinician_on_the_care_team(db: Session, world: World) -> None:
    c = clinic(db, world)
    newcomer = create_client(db, world.org)
    _book(db, world, client_id=newcomer.id)
    team = db.scalars(select(CareTeam.clinician_id).where(CareTeam.client_id == newcomer.id))
    assert list(team) == [c.clinician.id]


def test_double_booking_a_clinician_or_a_client_is_a_409(db: Session, world: World) -> None:
    first = _book(db, world)
    other = create_client(db, world.org)
    with pytest.raises(Conflict) as caught:
        _book(db, world, client_id=other.id, starts_at=MONDAY_NINE + timedelta(minutes=30))
    assert caught.value.status_code == 409
    # The same client with another clinician at an overlapping time.
    from test_scheduling_service import working_clinician

    colleague = working_clinician(db, world.org)
    with pytest.raises(Conflict):
        _book(db, world, clinician_id=colleague.id, starts_at=MONDAY_NINE + timedelta(minutes=10))
    # Back to back is fine.
    nxt = _book(db, world, client_id=other.id, starts_at=first.ends_at)
    assert nxt.starts_at == first.ends_at


def test_the_database_refuses_an_overlap_the_service_did_not_check(
    db: Session, world: World
) -> None:
    first = _book(db, world)
    other = create_client(db, world.org)
    clash = Appointment(
        organization_id=first.organization_id,
        client_id=other.id,
        clinician_id=first.clinician_id,
        starts_at=first.starts_at + timedelta(minutes=5),
        ends_at=first.ends_at + timedelta(minutes=5),
        status=AppointmentStatus.BOOKED,
        setting="telehealth",
    )
    with pytest.raises(Conflict):
        booking._insert(db, clash)
    # A cancelled row does not hold its time.
    clash.status = AppointmentStatus.CANCELLED
    booking._insert(db, clash)
    db.flush()
    clash.status = AppointmentStatus.BOOKED
    with pytest.raises(Exception, match="overlap"):
        db.flush()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"reason": "  "}, "reason"),
        ({"starts_at": MONDAY_NINE.replace(hour=18)}, "working hours"),
        ({"starts_at": NOW - timedelta(days=7) + timedelta(hours=1)}, "future"),
        ({"setting": "moon"}, "setting"),
        ({"kind": "party"}, "kind"),
        ({"starts_at": MONDAY_NINE.replace(tzinfo=None)}, "offset"),
    ],
)
def test_booking_refuses_bad_input(
    db: Session, world: World, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        _book(db, world, **overrides)


def test_who_may_book(db: Session, world: World) -> None:
    clinic(db, world)
    clinician = world.users[Role.CLINICIAN]
    # The care-team clinician may book their own client.
    mine = _book(db, world, user=clinician, actor=actor(db, clinician))
    assert mine.booked_by_id == clinician.id
    for user, client_id in (
        (clinician, world.outside_client.id),
        (world.users[Role.COORDINATOR], world.foreign_client.id),
        (world.users[Role.ADMIN], world.own_client.id),
        (world.client_user, world.own_client.id),
        (world.users[Role.COORDINATOR], uuid.uuid4()),
    ):
        with pytest.raises(NotFound):
            _book(
                db,
                world,
                user=user,
                actor=actor(db, user),
                client_id=client_id,
                starts_at=MONDAY_NINE + timedelta(days=1),
            )


def test_reschedule_closes_the_old_and_books_the_new(db: Session, world: World) -> None:
    old = _book(db, world)
    coordinator = world.users[Role.COORDINATOR]
    new = booking.reschedule_appointment(
        db,
        user=coordinator,
        actor=actor(db, coordinator),
        appointment_id=old.id,
        starts_at=MONDAY_NINE + timedelta(days=1),
        reason="Client asked for Tuesday",
        now=NOW,
    )
    assert old.status is AppointmentStatus.RESCHEDULED
    assert new.rescheduled_from_id == old.id
    assert new.ends_at - new.starts_at == old.ends_at - old.starts_at
    # The old time is free again.
    again = _book(db, world, client_id=create_client(db, world.org).id)
    assert again.starts_at == MONDAY_NINE


def test_reschedule_onto_a_taken_time_is_a_409_and_changes_nothing(
    db: Session, world: World
) -> None:
    first = _book(db, world)
    second = _book(db, world, client_id=create_client(db, world.org).id, starts_at=first.ends_at)
    coordinator = world.users[Role.COORDINATOR]
    with pytest.raises(Conflict):
        booking.reschedule_appointment(
            db,
            user=coordinator,
            actor=actor(db, coordinator),
            appointment_id=second.id,
            starts_at=MONDAY_NINE,
            reason="try",
            now=NOW,
        )


def test_cancel_and_no_show(db: Session, world: World) -> None:
    appointment = _book(db, world)
    coordinator = world.users[Role.COORDINATOR]
    me = actor(db, coordinator)
    with pytest.raises(Conflict, match="started"):
        booking.mark_no_show(
            db, user=coordinator, actor=me, appointment_id=appointment.id, reason="x", now=NOW
        )
    later = appointment.starts_at + timedelta(minutes=20)
    booking.mark_no_show(
        db,
        user=coordinator,
        actor=me,
        appointment_id=appointment.id,
        reason="Did not attend",
        now=later,
    )
    assert appointment.status is AppointmentStatus.NO_SHOW
    with pytest.raises(Conflict):
        booking.cancel_appointment(
            db, user=coordinator, actor=me, appointment_id=appointment.id, reason="x", now=NOW
        )
    second = _book(db, world, starts_at=MONDAY_NINE + timedelta(days=2))
    booking.cancel_appointment(
        db, user=coordinator, actor=me, appointment_id=second.id, reason="Client is unwell", now=NOW
    )
    assert second.status is AppointmentStatus.CANCELLED
    assert second.reason == "Client is unwell"


def test_clients_change_their_own_only_and_not_within_the_cutoff(db: Session, world: World) -> None:
    soon = _book(db, world)  # one hour after NOW: inside the 24-hour cut-off
    later = _book(db, world, starts_at=MONDAY_NINE + timedelta(days=3))
    client_user = world.client_user
    me = actor(db, client_user)
    with pytest.raises(Conflict, match="24 hours"):
        booking.cancel_appointment(
            db, user=client_user, actor=me, appointment_id=soon.id, reason="Sorry", now=NOW
        )
    moved = booking.reschedule_appointment(
        db,
        user=client_user,
        actor=me,
        appointment_id=later.id,
        starts_at=later.starts_at + timedelta(hours=2),
        reason="Work",
        now=NOW,
    )
    assert moved.starts_at.hour == 11
    with pytest.raises(NotFound):
        booking.mark_no_show(
            db, user=client_user, actor=me, appointment_id=moved.id, reason="x", now=NOW
        )
    stranger = _book(
        db, world, client_id=world.outside_client.id, starts_at=MONDAY_NINE + timedelta(days=4)
    )
    with pytest.raises(NotFound):
        booking.cancel_appointment(
            db, user=client_user, actor=me, appointment_id=stranger.id, reason="x", now=NOW
        )


def test_reads_are_scoped_and_audited(db: Session, world: World) -> None:
    appointment = _book(db, world)
    clinician = world.users[Role.CLINICIAN]
    seen = booking.get_appointment(
        db, user=clinician, actor=actor(db, clinician), appointment_id=appointment.id, now=NOW
    )
    assert seen.id == appointment.id
    for user in (world.other_clinician, world.users[Role.ADMIN]):
        with pytest.raises(NotFound):
            booking.get_appointment(
                db, user=user, actor=actor(db, user), appointment_id=appointment.id, now=NOW
            )
    upcoming = booking.upcoming_for_client(
        db,
        user=world.client_user,
        actor=actor(db, world.client_user),
        client_id=world.own_client.id,
        now=NOW,
    ).items
    assert [a.id for a in upcoming] == [appointment.id]
    week = booking.clinician_week(
        db,
        user=clinician,
        actor=actor(db, clinician),
        clinician_id=clinician.id,
        start=NOW,
        now=NOW,
    )
    assert [a.id for a in week] == [appointment.id]
    with pytest.raises(NotFound):
        booking.clinician_week(
            db,
            user=world.other_clinician,
            actor=actor(db, world.other_clinician),
            clinician_id=clinician.id,
            start=NOW,
            now=NOW,
        )
    # Free slots now exclude the booking.
    free = service.free_slots(db, clinician, MONDAY_NINE, MONDAY_NINE.replace(hour=11), 50)
    assert all(not s.overlaps(appointment) for s in free)
