"""Stored audit events as FHIR R4 AuditEvent resources (validated with ``fhir.resources.R4B``).

- :func:`to_fhir_audit_event` ``(event) -> dict``: one event, validated.
- :func:`audit_event_bundle` ``(events) -> dict``: a ``searchset`` Bundle of them, validated.

Mapping (FHIR R4 AuditEvent, https://hl7.org/fhir/R4B/auditevent.html):

- ``type``: ``rest`` (audit-event-type) for data access; DICOM ``110114`` User Authentication
  for sign-in and sign-out, with ``110122`` Login / ``110123`` Logout as subtype.
- ``subtype``: the FHIR restful interaction where one matches (``read``, ``search-type``,
  ``create``, ``update``, ``delete``), and always Alongside's own action code.
- ``action``: C/R/U/D/E; ``outcome``: ``0`` success, ``4`` refused, ``8`` error.
- ``purposeOfEvent``: v3 ActReason ``TREAT``, ``ETREAT``, ``HOPERAT``, ``PATRQT`` where the
  purpose has one, and always Alongside's own purpose code.
- ``agent``: the actor by user id (``urn:alongside:user``), name and role; requestor unless it
  is Alongside itself.
- ``entity``: the client as ``Patient/<client id>`` (object role 1, Patient) and the resource by
  its Alongside id, with the request id, sequence and hashes as details so an export can be
  checked against the chain.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from alongside.models import AuditEvent
from alongside.models.audit_event import SYSTEM_ROLE

AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
RESTFUL_INTERACTION = "http://hl7.org/fhir/restful-interaction"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
SECURITY_SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
AUDIT_ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
ALONGSIDE_ACTION = "urn:alongside:audit-action"
ALONGSIDE_PURPOSE = "urn:alongside:audit-purpose"
ALONGSIDE_ROLE = "urn:alongside:role"
ALONGSIDE_USER = "urn:alongside:user"

_AUTHENTICATION = {"sign_in": ("110122", "Login"), "sign_out": ("110123", "Logout")}
_RESTFUL = {
    "read": "read",
    "list": "search-type",
    "search": "search-type",
    "create": "create",
    "update": "update",
    "delete": "delete",
}
_CRUDE = {
    "create": "C",
    "read": "R",
    "list": "R",
    "search": "R",
    "export": "R",
    "break_glass": "R",
    "update": "U",
    "decide": "U",
    "sign": "U",
    "delete": "D",
    "erase": "D",
}
_OUTCOME = {"success": "0", "refused": "4", "error": "8"}
_ACT_REASON = {
    "treatment": ("TREAT", "treatment"),
    "emergency": ("ETREAT", "Emergency Treatment"),
    "operations": ("HOPERAT", "healthcare operations"),
    "client_access": ("PATRQT", "patient requested"),
}


def _validated(model: type[Any], resource: dict[str, Any]) -> dict[str, Any]:
    try:
        built = model.model_validate(resource)
    except ValidationError as error:  # pragma: no cover - a bug in the mapping, not bad input
        raise ValueError(f"invalid FHIR {resource.get('resourceType')}: {error}") from error
    result: dict[str, Any] = json.loads(built.model_dump_json())
    return result


def _type_and_subtype(action: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    own = {"system": ALONGSIDE_ACTION, "code": action}
    if action in _AUTHENTICATION:
        code, display = _AUTHENTICATION[action]
        return (
            {"system": DICOM, "code": "110114", "display": "User Authentication"},
            [{"system": DICOM, "code": code, "display": display}, own],
        )
    subtype = [own]
    if action in _RESTFUL:
        subtype.insert(0, {"system": RESTFUL_INTERACTION, "code": _RESTFUL[action]})
    return {"system": AUDIT_EVENT_TYPE, "code": "rest", "display": "RESTful Operation"}, subtype


def _purpose(purpose: str) -> dict[str, Any]:
    coding = [{"system": ALONGSIDE_PURPOSE, "code": purpose}]
    if purpose in _ACT_REASON:
        code, display = _ACT_REASON[purpose]
        coding.insert(0, {"system": ACT_REASON, "code": code, "display": display})
    return {"coding": coding, "text": purpose.replace("_", " ")}


def _entities(event: AuditEvent) -> list[dict[str, Any]]:
    # An event not sealed yet (a few seconds after it was written) has no place in the chain.
    details = [{"type": "insert_order", "valueString": str(event.insert_order)}]
    if event.sequence is not None and event.hash and event.previous_hash:
        details += [
            {"type": "sequence", "valueString": str(event.sequence)},
            {"type": "hash", "valueString": event.hash},
            {"type": "previous_hash", "valueString": event.previous_hash},
        ]
    if event.request_id:
        details.append({"type": "request_id", "valueString": event.request_id})
    resource: dict[str, Any] = {
        "type": {"system": AUDIT_ENTITY_TYPE, "code": "2", "display": "System Object"},
        "name": event.resource_type,
        "detail": details,
    }
    if event.resource_id is not None:
        resource["what"] = {
            "identifier": {
                "system": f"urn:alongside:{event.resource_type}",
                "value": event.resource_id,
            }
        }
    entities = [resource]
    if event.client_id is not None:
        entities.insert(
            0,
            {
                "what": {"reference": f"Patient/{event.client_id}"},
                "type": {"system": AUDIT_ENTITY_TYPE, "code": "1", "display": "Person"},
                "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
            },
        )
    return entities


def to_fhir_audit_event(event: AuditEvent) -> dict[str, Any]:
    """One stored audit event as a validated FHIR R4 AuditEvent (JSON-ready dict)."""
    event_type, subtype = _type_and_subtype(event.action)
    purpose = _purpose(event.purpose)
    agent: dict[str, Any] = {
        "name": event.actor_name,
        "requestor": event.actor_role != SYSTEM_ROLE,
        "role": [
            {
                "coding": [{"system": ALONGSIDE_ROLE, "code": event.actor_role}],
                "text": event.actor_role.replace("_", " "),
            }
        ],
        "purposeOfUse": [purpose],
    }
    if event.actor_id is not None:
        agent["who"] = {
            "identifier": {"system": ALONGSIDE_USER, "value": str(event.actor_id)},
            "display": event.actor_name,
        }
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(event.id),
        "type": event_type,
        "subtype": subtype,
        "action": _CRUDE.get(event.action, "E"),
        "recorded": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "outcome": _OUTCOME[event.outcome],
        "purposeOfEvent": [purpose],
        "agent": [agent],
        "source": {
            "observer": {"display": "Alongside"},
            "type": [
                {"system": SECURITY_SOURCE_TYPE, "code": "4", "display": "Application Server"}
            ],
        },
        "entity": _entities(event),
    }
    if event.outcome != "success":
        resource["outcomeDesc"] = event.outcome
    return _validated(FhirAuditEvent, resource)


def audit_event_bundle(events: Iterable[AuditEvent]) -> dict[str, Any]:
    """A validated FHIR ``searchset`` Bundle of the events, in the order given."""
    entries = [
        {
            "fullUrl": f"urn:uuid:{event.id}",
            "resource": to_fhir_audit_event(event),
            "search": {"mode": "match"},
        }
        for event in events
    ]
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(entries)}
    if entries:
        bundle["entry"] = entries
    return _validated(Bundle, bundle)
