"""FHIR R4B export of schedules, slots and appointments, validated with ``fhir.resources``.

Pure: plain values in, JSON-ready dicts out (each checked against the R4B model, so an invalid
resource raises :class:`InvalidInput` instead of leaving Alongside).

- :func:`schedule_resource` ``(clinician_id, clinician_name, start, end) -> dict``
- :func:`slot_resources` ``(schedule_id, free, busy) -> list[dict]``: ``free`` and ``busy``
  slot ranges.
- :func:`appointment_resource` ``(appointment_id, status, starts_at, ends_at, kind, client_id,
  clinician_id, clinician_name, setting) -> dict``: the client appears as a reference by id only.
- :func:`bundle` ``(resources) -> dict``: a ``collection`` Bundle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot as FhirSlot
from pydantic import ValidationError

from alongside.errors import InvalidInput
from alongside.scheduling.availability import TimeRange

__all__ = [
    "APPOINTMENT_STATUS",
    "appointment_resource",
    "bundle",
    "schedule_resource",
    "slot_resources",
]

# Alongside's statuses in FHIR's Appointment.status value set.
APPOINTMENT_STATUS = {
    "booked": "booked",
    "attended": "fulfilled",
    "no_show": "noshow",
    "cancelled": "cancelled",
    "rescheduled": "cancelled",
}
_SERVICE_TYPE = "http://terminology.hl7.org/CodeSystem/service-type"
# service-type 64: "Counselling" (HL7 terminology, service-type code system).
_COUNSELLING = {"system": _SERVICE_TYPE, "code": "64", "display": "Counselling"}
_KIND_SYSTEM = "https://alongside.example/fhir/CodeSystem/appointment-kind"


def _validated(model: type[Any], resource: dict[str, Any]) -> dict[str, Any]:
    try:
        parsed = model.model_validate(resource)
    except ValidationError as exc:
        raise InvalidInput(f"Invalid FHIR {resource.get('resourceType')}: {exc}") from None
    out: dict[str, Any] = parsed.model_dump(mode="json", exclude_none=True)
    return out


def _instant(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise InvalidInput("FHIR instants need a timezone-aware time.")
    return moment.isoformat()


def schedule_resource(
    clinician_id: str, clinician_name: str, start: datetime, end: datetime
) -> dict[str, Any]:
    """A Schedule for one clinician over ``[start, end)``."""
    return _validated(
        Schedule,
        {
            "resourceType": "Schedule",
            "id": f"schedule-{clinician_id}",
            "active": True,
            "serviceType": [{"coding": [_COUNSELLING]}],
            "actor": [{"reference": f"Practitioner/{clinician_id}", "display": clinician_name}],
            "planningHorizon": {"start": _instant(start), "end": _instant(end)},
        },
    )


def slot_resources(
    schedule_id: str, free: Iterable[TimeRange], busy: Iterable[TimeRange] = ()
) -> list[dict[str, Any]]:
    """Free and busy Slots of a Schedule, in time order."""
    ranges = [(r.start, r.end, "free") for r in free] + [(r.start, r.end, "busy") for r in busy]
    ranges.sort()
    out = []
    for index, (start, end, status) in enumerate(ranges):
        out.append(
            _validated(
                FhirSlot,
                {
                    "resourceType": "Slot",
                    "id": f"{schedule_id}-{index}",
                    "schedule": {"reference": f"Schedule/{schedule_id}"},
                    "status": status,
                    "start": _instant(start),
                    "end": _instant(end),
                },
            )
        )
    return out


def appointment_resource(
    *,
    appointment_id: str,
    status: str,
    starts_at: datetime,
    ends_at: datetime,
    kind: str,
    client_id: str,
    clinician_id: str,
    clinician_name: str,
    setting: str,
) -> dict[str, Any]:
    """An Appointment between a client (Patient reference) and a clinician."""
    if status not in APPOINTMENT_STATUS:
        raise InvalidInput(f"Unknown appointment status {status!r}.")
    return _validated(
        FhirAppointment,
        {
            "resourceType": "Appointment",
            "id": appointment_id,
            "status": APPOINTMENT_STATUS[status],
            "serviceType": [{"coding": [_COUNSELLING]}],
            "appointmentType": {"coding": [{"system": _KIND_SYSTEM, "code": kind}], "text": kind},
            "start": _instant(starts_at),
            "end": _instant(ends_at),
            "minutesDuration": int((ends_at - starts_at).total_seconds() // 60),
            "comment": "In person" if setting == "in_person" else "Telehealth",
            "participant": [
                {"actor": {"reference": f"Patient/{client_id}"}, "status": "accepted"},
                {
                    "actor": {
                        "reference": f"Practitioner/{clinician_id}",
                        "display": clinician_name,
                    },
                    "status": "accepted",
                },
            ],
        },
    )


def bundle(resources: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A collection Bundle of the given resources."""
    return _validated(
        Bundle,
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": r} for r in resources],
        },
    )
