"""A client's data as a FHIR R4 Bundle (and the facts a PDF prints), for them or a SAR.

API
---
- :func:`my_export` ``(session, user, actor, now) -> ClientExport``: the signed-in client's own
  record (audited as the client's export).
- :func:`staff_export` ``(session, user, actor, client_id, reason, now) -> ClientExport``:
  staff with ``client.export`` on the client produce the same export for a subject-access
  request; the reason is stored (encrypted) and the audit event names it.
- :attr:`ClientExport.bundle`: a validated FHIR R4 (R4B models) ``Bundle`` of type
  ``collection``: Patient, QuestionnaireResponse, Observation (``derivedFrom`` the response),
  Appointment, Consent, AuditEvent of every access to the record, and signed progress notes as
  DocumentReference (:func:`signed_progress_notes`), every version of the safety plan as a
  CarePlan (the current one ``active``, earlier ones ``revoked``), opened by a ``Basic``
  resource that says what is not included and why. The PDF also lists the corrections the
  client asked for and what was decided.

Not included: psychotherapy notes (kept by their author alone, HIPAA 45 CFR 164.524(a)(1)(i)),
other people's information, and the software's internal working (risk readings and triage
proposals are the clinic's working notes; the decisions a clinician made are in the record).
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.audit.fhir import to_fhir_audit_event
from alongside.audit.service import record
from alongside.errors import InvalidInput, NotFound
from alongside.instruments.library import get_instrument
from alongside.models import (
    Appointment,
    AuditAction,
    AuditEvent,
    AuditOutcome,
    AuditPurpose,
    Client,
    Consent,
    CorrectionRequest,
    Intake,
    Note,
    NoteKind,
    NoteStatus,
    QuestionnaireResponse,
    SafetyPlan,
    Score,
    SubjectAccessExport,
    User,
)
from alongside.security.permissions import Action
from alongside.security.policy import Actor, Resource, can

NOT_FOUND = "There is nothing at this address. Check the link, or go back to your home page."
CANONICAL_BASE = "https://alongside.invalid/fhir/Questionnaire/"
MAX_REASON = 500

NOT_INCLUDED = (
    "Psychotherapy notes: a therapist's private notes are kept apart from your record and are "
    "not part of this copy.",
    "Other people's information: anything about someone else is left out.",
    "The software's working: risk readings and triage proposals help the clinic decide who to "
    "see first; what a clinician decided is in your record.",
)


@dataclass
class ClientExport:
    """One client's export: the FHIR Bundle, and plain facts for the PDF."""

    bundle: dict[str, Any]
    client_name: str
    produced_at: datetime
    facts: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    not_included: tuple[str, ...] = NOT_INCLUDED


def _when(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def signed_progress_notes(session: Session, client_id: uuid.UUID) -> list[dict[str, Any]]:
    """Signed progress notes (with their addenda) as DocumentReference resources.

    Never a psychotherapy note, nor a draft: only what a clinician signed into the record.
    """
    from alongside.notes import fhir as notes_fhir
    from alongside.notes.library import note_templates
    from alongside.notes.service import addenda_by_note, names_of

    notes = session.scalars(
        select(Note)
        .where(Note.client_id == client_id)
        .where(Note.kind == NoteKind.PROGRESS)
        .where(Note.status == NoteStatus.SIGNED)
        .order_by(Note.signed_at)
    ).all()
    if not notes:
        return []
    addenda = addenda_by_note(session, notes)
    people = [n.author_id for n in notes] + [
        a.author_id for items in addenda.values() for a in items
    ]
    names = names_of(session, people)
    templates = note_templates()
    out: list[dict[str, Any]] = []
    for note in notes:
        if note.signed_at is None:
            continue
        template = templates.get(note.template_id)
        bundle = notes_fhir.note_bundle(
            note_id=str(note.id),
            client_id=str(note.client_id),
            title=template.title if template else "Progress note",
            author_id=str(note.author_id) if note.author_id else None,
            author_name=names.get(note.author_id, "") if note.author_id else "",
            signed_at=note.signed_at,
            sections=[(s["title"], [x["text"] for x in s["sentences"]]) for s in note.section_list],
            addenda=[
                notes_fhir.AddendumEntry(
                    text=str(a.text),
                    author_id=str(a.author_id) if a.author_id else None,
                    author_name=names.get(a.author_id, "") if a.author_id else "",
                    signed_at=a.signed_at,
                )
                for a in addenda.get(note.id, [])
            ],
        )
        out.extend(
            entry["resource"]
            for entry in bundle["entry"]
            if entry["resource"]["resourceType"] == "DocumentReference"
        )
    return out


def _patient(client: Client) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(client.id),
        "name": [{"given": [str(client.given_name)], "family": str(client.family_name)}],
    }
    telecom = []
    if client.email:
        telecom.append({"system": "email", "value": str(client.email)})
    if client.phone:
        telecom.append({"system": "phone", "value": str(client.phone)})
    if telecom:
        resource["telecom"] = telecom
    if client.date_of_birth:
        resource["birthDate"] = str(client.date_of_birth)
    return resource


def _response(row: QuestionnaireResponse, patient_ref: str) -> dict[str, Any]:
    definition = get_instrument(row.instrument_id)
    answers = row.answer_map
    items = [
        {"linkId": str(link_id), "answer": [{"valueInteger": int(value)}]}
        for link_id, value in sorted(answers.items())
    ]
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(row.id),
        "questionnaire": f"{CANONICAL_BASE}{definition.id}|{row.instrument_version}",
        "status": "completed" if row.completed else "in-progress",
        "subject": {"reference": patient_ref},
        "authored": _when(row.updated_at),
    }
    if items:
        resource["item"] = items
    return resource


def _observation(score: Score, patient_ref: str) -> dict[str, Any]:
    definition = get_instrument(score.instrument_id)
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(score.id),
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "survey",
                    }
                ]
            }
        ],
        "code": {"text": f"{definition.short_name} total score"},
        "subject": {"reference": patient_ref},
        "effectiveDateTime": _when(score.scored_at),
        "interpretation": [{"text": score.severity}],
    }
    loinc = definition.loinc.total
    if loinc:
        resource["code"]["coding"] = [{"system": "http://loinc.org", "code": loinc}]
    if score.total is not None:
        resource["valueQuantity"] = {"value": score.total, "unit": "score"}
    else:
        resource["valueString"] = score.severity
    if score.questionnaire_response_id is not None:
        resource["derivedFrom"] = [
            {"reference": f"QuestionnaireResponse/{score.questionnaire_response_id}"}
        ]
    return resource


def _appointment(row: Appointment, patient_ref: str, clinician: str) -> dict[str, Any]:
    status = {
        "booked": "booked",
        "attended": "fulfilled",
        "no_show": "noshow",
        "cancelled": "cancelled",
        "rescheduled": "cancelled",
    }.get(str(row.status), "booked")
    return {
        "resourceType": "Appointment",
        "id": str(row.id),
        "status": status,
        "start": _when(row.starts_at),
        "end": _when(row.ends_at),
        "participant": [
            {"actor": {"reference": patient_ref}, "status": "accepted"},
            {"actor": {"display": clinician}, "status": "accepted"},
        ],
    }


def _consent(row: Consent, patient_ref: str) -> dict[str, Any]:
    return {
        "resourceType": "Consent",
        "id": str(row.id),
        "status": "active",
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                }
            ]
        },
        "category": [{"text": row.purpose.replace("_", " ")}],
        "patient": {"reference": patient_ref},
        "dateTime": _when(row.recorded_at),
        "policyRule": {"text": f"Text shown: {row.text_version}"},
        "provision": {"type": "permit" if row.granted else "deny"},
    }


def _own_words(intake: Intake, patient_ref: str) -> dict[str, Any]:
    text = str(intake.own_words or "")
    return {
        "resourceType": "DocumentReference",
        "id": str(intake.id),
        "status": "current",
        "type": {"text": "In your own words (intake)"},
        "subject": {"reference": patient_ref},
        "date": _when(intake.submitted_at or intake.created_at),
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
                    "title": "In your own words",
                }
            }
        ],
    }


def _plan_steps(plan: SafetyPlan) -> list[tuple[str, str]]:
    """The plan's written steps as (the step's title, the client's words)."""
    from alongside.notes.library import safety_plan_template

    titles = {step.key: step.title for step in safety_plan_template().steps}
    return [(titles.get(key, key), text) for key, text in plan.step_texts.items() if text]


def _safety_plan(plan: SafetyPlan, patient_ref: str, current: bool) -> dict[str, Any]:
    return {
        "resourceType": "CarePlan",
        "id": str(plan.id),
        "status": "active" if current else "revoked",
        "intent": "plan",
        "title": f"Safety plan, version {plan.version}",
        "description": "A safety plan written with you (Stanley & Brown's safety planning "
        "intervention): what to do, step by step, if a crisis builds.",
        "subject": {"reference": patient_ref},
        "created": _when(plan.created_at),
        "note": [{"text": f"{title}: {text}"} for title, text in _plan_steps(plan)],
    }


def _about_this_export(produced_at: datetime) -> dict[str, Any]:
    items = "".join(f"<li>{text}</li>" for text in NOT_INCLUDED)
    return {
        "resourceType": "Basic",
        "id": "about-this-export",
        "code": {"text": "About this export"},
        "created": produced_at.date().isoformat(),
        "text": {
            "status": "generated",
            "div": (
                '<div xmlns="http://www.w3.org/1999/xhtml"><p>Everything the clinic holds about '
                f"you that you are entitled to, as of {produced_at.date().isoformat()}. Not "
                f"included:</p><ul>{items}</ul></div>"
            ),
        },
    }


def _build(session: Session, client: Client, now: datetime) -> ClientExport:
    patient_ref = f"Patient/{client.id}"
    resources: list[dict[str, Any]] = [_about_this_export(now), _patient(client)]
    facts: dict[str, list[tuple[str, str]]] = {
        "Your details": [
            ("Name", client.display_name),
            ("Email", str(client.email or "")),
            ("Phone", str(client.phone or "")),
            ("Date of birth", str(client.date_of_birth or "")),
        ]
    }
    responses = session.scalars(
        select(QuestionnaireResponse)
        .where(QuestionnaireResponse.client_id == client.id)
        .order_by(QuestionnaireResponse.updated_at)
    ).all()
    for row in responses:
        resources.append(_response(row, patient_ref))
    scores = session.scalars(
        select(Score).where(Score.client_id == client.id).order_by(Score.scored_at)
    ).all()
    facts["Questionnaire scores"] = []
    for score in scores:
        resources.append(_observation(score, patient_ref))
        name = get_instrument(score.instrument_id).short_name
        value = "" if score.total is None else f"{score.total}, "
        facts["Questionnaire scores"].append(
            (f"{name}, {score.scored_at.date().isoformat()}", f"{value}{score.severity}")
        )
    appointments = session.scalars(
        select(Appointment)
        .where(Appointment.client_id == client.id)
        .order_by(Appointment.starts_at)
    ).all()
    names = {
        user.id: user.display_name
        for user in session.scalars(
            select(User).where(User.id.in_({a.clinician_id for a in appointments}))
        )
    }
    facts["Appointments"] = []
    for appointment in appointments:
        clinician = names.get(appointment.clinician_id, "A clinician")
        resources.append(_appointment(appointment, patient_ref, clinician))
        facts["Appointments"].append(
            (
                appointment.starts_at.strftime("%Y-%m-%d %H:%M UTC"),
                f"with {clinician} ({appointment.status})",
            )
        )
    consents = session.scalars(
        select(Consent).where(Consent.client_id == client.id).order_by(Consent.recorded_at)
    ).all()
    facts["Consents"] = []
    for consent in consents:
        resources.append(_consent(consent, patient_ref))
        facts["Consents"].append(
            (
                f"{consent.purpose.replace('_', ' ')}, {consent.recorded_at.date().isoformat()}",
                "given" if consent.granted else "not given",
            )
        )
    intakes = session.scalars(
        select(Intake)
        .where(Intake.client_id == client.id)
        .where(Intake.own_words_ct.is_not(None))
        .order_by(Intake.created_at)
    ).all()
    facts["In your own words"] = []
    for intake in intakes:
        resources.append(_own_words(intake, patient_ref))
        when = (intake.submitted_at or intake.created_at).date().isoformat()
        facts["In your own words"].append((when, str(intake.own_words or "")))
    notes = signed_progress_notes(session, client.id)
    resources.extend(notes)
    facts["Signed progress notes"] = [
        (str(n.get("date", ""))[:10], str(n.get("description", "Progress note"))) for n in notes
    ]
    plans = session.scalars(
        select(SafetyPlan)
        .where(SafetyPlan.client_id == client.id)
        .order_by(SafetyPlan.version.desc())
    ).all()
    for index, plan in enumerate(plans):
        resources.append(_safety_plan(plan, patient_ref, current=index == 0))
    facts["Your safety plan"] = _plan_steps(plans[0]) if plans else []
    asked = session.scalars(
        select(CorrectionRequest)
        .where(CorrectionRequest.client_id == client.id)
        .order_by(CorrectionRequest.requested_at)
    ).all()
    facts["Corrections you asked for"] = [_correction_fact(row) for row in asked]
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.client_id == client.id).order_by(AuditEvent.sequence)
    ).all()
    facts["Who opened your record"] = []
    for event in events:
        resources.append(to_fhir_audit_event(event))
        facts["Who opened your record"].append(
            (
                event.occurred_at.strftime("%Y-%m-%d %H:%M UTC"),
                f"{event.actor_name}: {event.action}",
            )
        )
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _when(now),
        "entry": [{"fullUrl": f"urn:uuid:{_entry_id(r)}", "resource": r} for r in resources],
    }
    try:
        validated = Bundle.model_validate(bundle)
    except ValidationError as exc:  # a bug in a builder above, never the client's data
        raise RuntimeError(f"export bundle failed FHIR validation: {exc}") from exc
    return ClientExport(
        bundle=json.loads(validated.model_dump_json(exclude_none=True)),
        client_name=client.display_name,
        produced_at=now,
        facts=facts,
    )


def _correction_fact(row: CorrectionRequest) -> tuple[str, str]:
    from alongside.privacy.corrections import label_of

    outcome = {"pending": "waiting for a decision", "accepted": "accepted"}.get(
        row.status.value, "declined"
    )
    reason = f" ({row.decision_reason})" if row.decision_reason else ""
    return (
        f"{label_of(row.field)}, {row.requested_at.date().isoformat()}",
        f"“{row.requested_value}”: {outcome}{reason}",
    )


def _entry_id(resource: dict[str, Any]) -> str:
    raw = str(resource.get("id", ""))
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, raw))


def my_export(session: Session, user: User, actor: Actor, now: datetime) -> ClientExport:
    """The signed-in client's own export (audited)."""
    if actor.client_id is None or not can(
        actor, Action.CLIENT_EXPORT, Resource(actor.organization_id, actor.client_id)
    ):
        raise NotFound(NOT_FOUND)
    client = session.get(Client, actor.client_id)
    if client is None or client.status == "erased":
        raise NotFound(NOT_FOUND)
    export = _build(session, client, now)
    record(
        session,
        actor=user,
        action=AuditAction.EXPORT,
        resource_type="client",
        resource_id=client.id,
        client_id=client.id,
        organization_id=client.organization_id,
        purpose=AuditPurpose.CLIENT_ACCESS,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )
    return export


def staff_export(
    session: Session,
    user: User,
    actor: Actor,
    client_id: uuid.UUID,
    reason: str | None,
    now: datetime,
) -> ClientExport:
    """A subject-access export produced by staff, with its reason stored and audited."""
    text = " ".join((reason or "").split())
    if not text:
        raise InvalidInput("reason: say why this export is made (for example, the request).")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"reason: at most {MAX_REASON} characters.")
    client = session.get(Client, client_id)
    if client is None or not can(
        actor, Action.CLIENT_EXPORT, Resource(client.organization_id, client.id)
    ):
        raise NotFound(NOT_FOUND)
    if client.status == "erased":
        raise NotFound(NOT_FOUND)
    sar = SubjectAccessExport(
        organization_id=client.organization_id,
        client_id=client.id,
        produced_by_id=user.id,
        produced_at=now,
    )
    sar.reason = text
    session.add(sar)
    session.flush()
    export = _build(session, client, now)
    record(
        session,
        actor=user,
        action=AuditAction.EXPORT,
        resource_type="subject_access_export",
        resource_id=sar.id,
        client_id=client.id,
        organization_id=client.organization_id,
        purpose=AuditPurpose.EXPORT,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )
    return export
