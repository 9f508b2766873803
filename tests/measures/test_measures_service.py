"""Plans, due links (idempotent, through the outbox), access to plans and the attention list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from alongside.errors import InvalidInput, NotFound
from alongside.instruments import score_instrument
from alongside.measures import service
from alongside.measures.demo import answers_for, seed_demo_measures
from alongside.models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    Intake,
    OutboxMessage,
    Role,
    Score,
)
from alongside.security.access import actor_for
from tests.fixtures.factories import create_client, create_staff

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
LINK_BASE = "https://clinic.example"


def add_score(db, client, instrument, total, when, flags=()):
    """A stored score as intake submission stores it."""
    result = score_instrument(instrument, answers_for(instrument, total))
    db.add(
        Score(
            organization_id=client.organization_id,
            client_id=client.id,
            instrument_id=instrument,
            instrument_version=result.version,
            total=result.total,
            severity=result.severity,
            flags=list(flags),
            result="{}",
            scored_at=when,
        )
    )
    db.flush()


def plan_for(db, world, **overrides):
    """A plan for the world's own client, set by their clinician."""
    clinician = world.users[Role.CLINICIAN]
    values = {"instruments": ["phq9", "gad7"], "cadence": "interval", "interval_days": 14}
    values.update(overrides)
    return service.set_plan(
        db,
        user=clinician,
        actor=actor_for(db, clinician, NOW),
        client_id=world.own_client.id,
        now=NOW,
        **values,
    )


def messages(db):
    """Reminder messages in the outbox."""
    return list(
        db.scalars(select(OutboxMessage).where(OutboxMessage.kind == service.REMINDER_KIND))
    )


def test_interval_plan_sends_one_link_per_due_date(db, world):
    plan = plan_for(db, world)
    assert service.due_measures(db, now=NOW + timedelta(days=13), link_base=LINK_BASE).created == []
    first = service.due_measures(db, now=NOW + timedelta(days=14), link_base=LINK_BASE)
    assert len(first.created) == 1
    link = first.created[0]
    assert link.due_at == NOW + timedelta(days=14)
    intake = db.get(Intake, link.intake_id)
    assert intake.instruments == ["phq9", "gad7"]
    assert intake.client_id == world.own_client.id
    assert intake.reviewer_id == world.users[Role.CLINICIAN].id
    assert plan.last_intake_id == intake.id
    [message] = messages(db)
    assert message.channel.value == "email"
    assert message.recipient == world.own_client.email
    assert message.idempotency_key == f"measures_due:{plan.id}:{link.due_at.isoformat()}"
    assert f"{LINK_BASE}/intake/" in message.body
    assert world.own_client.given_name not in message.body
    assert "intake/" not in str(message.payload)
    # Again the same day, and the next day: nothing new.
    for later in (timedelta(days=14), timedelta(days=20)):
        again = service.due_measures(db, now=NOW + later, link_base=LINK_BASE)
        assert again.created == []
    assert len(messages(db)) == 1
    assert db.scalar(select(func.count()).select_from(Intake)) == 1
    # The next interval: a second link.
    second = service.due_measures(db, now=NOW + timedelta(days=28), link_base=LINK_BASE)
    assert len(second.created) == 1
    assert len(messages(db)) == 2


def test_a_stale_plan_object_cannot_send_twice(db, world):
    plan = plan_for(db, world)
    due = NOW + timedelta(days=14)
    assert service._claim(db, plan, due)
    # Another process's stale copy: still sees no due time acted on.
    set_committed_value(plan, "last_due_at", None)
    assert not service._claim(db, plan, due)


def test_no_email_means_a_link_without_a_message(db, world):
    world.own_client.email = None
    db.flush()
    plan_for(db, world)
    report = service.due_measures(db, now=NOW + timedelta(days=14), link_base=LINK_BASE)
    assert len(report.created) == 1
    assert report.created[0].message_id is None
    assert report.created[0].intake_id is not None
    assert messages(db) == []


def test_before_session_plan_uses_booked_appointments(db, world):
    clinician = world.users[Role.CLINICIAN]
    plan_for(db, world, cadence="before_session", lead_hours=48)
    start = NOW + timedelta(days=3)
    db.add(
        Appointment(
            organization_id=world.org.id,
            client_id=world.own_client.id,
            clinician_id=clinician.id,
            starts_at=start,
            ends_at=start + timedelta(minutes=50),
            status=AppointmentStatus.BOOKED,
        )
    )
    db.flush()
    assert service.due_measures(db, now=NOW, link_base=LINK_BASE).created == []
    report = service.due_measures(db, now=start - timedelta(hours=47), link_base=LINK_BASE)
    assert [link.due_at for link in report.created] == [start]
    intake = db.get(Intake, report.created[0].intake_id)
    # Open until a day after the session.
    assert intake.expires_at == start + timedelta(days=1)
    assert "before your session" in messages(db)[0].body
    assert (
        service.due_measures(db, now=start - timedelta(hours=1), link_base=LINK_BASE).created == []
    )


def test_cancelled_sessions_and_paused_plans_send_nothing(db, world):
    clinician = world.users[Role.CLINICIAN]
    plan = plan_for(db, world, cadence="before_session", lead_hours=48)
    start = NOW + timedelta(days=1)
    db.add(
        Appointment(
            organization_id=world.org.id,
            client_id=world.own_client.id,
            clinician_id=clinician.id,
            starts_at=start,
            ends_at=start + timedelta(minutes=50),
            status=AppointmentStatus.CANCELLED,
        )
    )
    db.flush()
    assert service.due_measures(db, now=NOW, link_base=LINK_BASE).created == []
    plan.active = False
    plan.cadence = plan.cadence.INTERVAL
    plan.interval_days = 1
    db.flush()
    assert service.due_measures(db, now=NOW + timedelta(days=5), link_base=LINK_BASE).created == []


def test_a_plan_without_a_clinician_on_the_team_is_skipped(db, world):
    plan = plan_for(db, world)
    world.users[Role.CLINICIAN].is_active = False
    db.flush()
    report = service.due_measures(db, now=NOW + timedelta(days=14), link_base=LINK_BASE)
    assert report.created == []
    assert [s.plan_id for s in report.skipped] == [plan.id]
    assert plan.last_due_at is None  # not claimed: sent once someone can review it


def test_only_the_care_team_sets_a_plan(db, world):
    for user in (world.other_clinician, world.users[Role.COORDINATOR], world.users[Role.ADMIN]):
        with pytest.raises(NotFound):
            service.set_plan(
                db,
                user=user,
                actor=actor_for(db, user, NOW),
                client_id=world.own_client.id,
                instruments=["phq9"],
                cadence="interval",
                interval_days=7,
                now=NOW,
            )
    lead = world.users[Role.CLINICAL_LEAD]
    with pytest.raises(NotFound):
        service.set_plan(
            db,
            user=lead,
            actor=actor_for(db, lead, NOW),
            client_id=world.foreign_client.id,
            instruments=["phq9"],
            cadence="interval",
            interval_days=7,
            now=NOW,
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"instruments": []}, "instruments: choose at least one"),
        ({"instruments": ["phq99"]}, "instruments: unknown phq99"),
        ({"cadence": "monthly"}, "cadence: choose"),
        ({"interval_days": 0}, "interval_days"),
        ({"interval_days": None}, "interval_days"),
        ({"cadence": "before_session", "lead_hours": 0}, "lead_hours"),
    ],
)
def test_plan_validation_names_the_field(db, world, overrides, message):
    with pytest.raises(InvalidInput, match=message):
        plan_for(db, world, **overrides)


def test_plan_changes_are_audited(db, world):
    plan = plan_for(db, world)
    plan_for(db, world, instruments=["gad7", "phq9", "gad7"], interval_days=7)
    assert plan.instruments == ["phq9", "gad7"]
    assert plan.interval_days == 7
    actions = list(
        db.scalars(select(AuditEvent.action).where(AuditEvent.resource_type == "measurement_plan"))
    )
    assert actions == ["create", "update"]


def test_attention_list_is_the_clinicians_own_clients_newest_first(db, world):
    clinician = world.users[Role.CLINICIAN]
    second = create_client(db, world.org, clinicians=(clinician,))
    calm = create_client(db, world.org, clinicians=(clinician,))
    # Own client: reliable deterioration on PHQ-9 (8 -> 14), latest a week ago.
    add_score(db, world.own_client, "phq9", 8, NOW - timedelta(days=14))
    add_score(db, world.own_client, "phq9", 14, NOW - timedelta(days=7))
    # Second: PHQ-9 item 9 on the latest, yesterday.
    add_score(db, second, "phq9", 6, NOW - timedelta(days=1), flags=("phq9-item9",))
    # Calm: improving.
    add_score(db, calm, "gad7", 12, NOW - timedelta(days=14))
    add_score(db, calm, "gad7", 6, NOW - timedelta(days=1))
    # Outside the care team: deteriorating, but not this clinician's.
    add_score(db, world.outside_client, "phq9", 2, NOW - timedelta(days=14))
    add_score(db, world.outside_client, "phq9", 20, NOW - timedelta(days=1))
    entries = service.attention_list(
        db, user=clinician, actor=actor_for(db, clinician, NOW), now=NOW
    )
    assert [e.client_id for e in entries] == [second.id, world.own_client.id]
    assert entries[1].reasons == ("PHQ-9: reliable deterioration, 8 to 14 (threshold 6 points).",)
    assert "PHQ-9: question 9 answered" in entries[0].reasons[0]
    coordinator = world.users[Role.COORDINATOR]
    with pytest.raises(NotFound):
        service.attention_list(db, user=coordinator, actor=actor_for(db, coordinator, NOW), now=NOW)


def test_demo_series_show_deterioration_and_recovery(db, world):
    clinician = world.users[Role.CLINICIAN]
    clients = [create_client(db, world.org, clinicians=(clinician,)) for _ in range(4)]
    seed_demo_measures(db, clients, NOW)
    actor = actor_for(db, clinician, NOW)
    outcomes = []
    for client in clients:
        view = service.client_measures(
            db, user=clinician, actor=actor, client_id=client.id, now=NOW
        )
        outcomes.append({t.instrument_id: t.outcome for t in view.trends})
    assert outcomes[0] == {"phq9": "reliable deterioration", "gad7": "reliable deterioration"}
    assert outcomes[1] == {"phq9": "reliable recovery", "gad7": "reliable recovery"}
    assert outcomes[2] == {"phq9": "no reliable change", "gad7": "no reliable change"}
    entries = service.attention_list(db, user=clinician, actor=actor, now=NOW)
    assert [e.client_id for e in entries] == [clients[0].id]
    # Plans are seeded with the latest week acted on: nothing due until next week.
    assert service.due_measures(db, now=NOW, link_base=LINK_BASE).created == []
    assert (
        len(service.due_measures(db, now=NOW + timedelta(days=6), link_base=LINK_BASE).created) == 4
    )


def test_a_new_clinician_client_pair_is_not_readable(db, world):
    stranger = create_staff(db, world.org, Role.CLINICIAN)
    with pytest.raises(NotFound):
        service.client_measures(
            db,
            user=stranger,
            actor=actor_for(db, stranger, NOW),
            client_id=world.own_client.id,
            now=NOW,
        )
