"""FHIR R4B Schedule, Slot and Appointment export, validated by fhir.resources."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot as FhirSlot

from alongside.errors import InvalidInput
from alongside.scheduling import fhir
from alongside.scheduling.availability import Slot

START = datetime(2030, 1, 7, 9, tzinfo=UTC)


def test_schedule_and_slots_validate_and_round_trip() -> None:
    schedule = fhir.schedule_resource("c1", "Dr Amara Okafor", START, START + timedelta(days=14))
    assert Schedule.model_validate(schedule).actor[0].reference == "Practitioner/c1"
    free = [Slot(START, START + timedelta(minutes=50))]
    busy = [Slot(START + timedelta(hours=1), START + timedelta(hours=1, minutes=50))]
    slots = fhir.slot_resources(schedule["id"], free, busy)
    assert [s["status"] for s in slots] == ["free", "busy"]
    assert FhirSlot.model_validate(slots[0]).schedule.reference == "Schedule/schedule-c1"
    collection = fhir.bundle([schedule, *slots])
    assert len(Bundle.model_validate(collection).entry) == 3


@pytest.mark.parametrize(
    ("status", "fhir_status"),
    [
        ("booked", "booked"),
        ("attended", "fulfilled"),
        ("no_show", "noshow"),
        ("cancelled", "cancelled"),
    ],
)
def test_appointment_statuses(status: str, fhir_status: str) -> None:
    resource = fhir.appointment_resource(
        appointment_id="a1",
        status=status,
        starts_at=START,
        ends_at=START + timedelta(minutes=50),
        kind="assessment",
        client_id="p1",
        clinician_id="c1",
        clinician_name="Wei Chen",
        setting="telehealth",
    )
    parsed = Appointment.model_validate(resource)
    assert parsed.status == fhir_status
    assert parsed.minutesDuration == 50
    assert [p.actor.reference for p in parsed.participant] == ["Patient/p1", "Practitioner/c1"]


def test_bad_input_is_refused() -> None:
    with pytest.raises(InvalidInput):
        fhir.schedule_resource("c1", "X", START.replace(tzinfo=None), START)
    with pytest.raises(InvalidInput):
        fhir.appointment_resource(
            appointment_id="a1",
            status="partying",
            starts_at=START,
            ends_at=START,
            kind="assessment",
            client_id="p",
            clinician_id="c",
            clinician_name="X",
            setting="x",
        )
