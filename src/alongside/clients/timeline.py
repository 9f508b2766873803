"""A client's record as a story: what happened, newest first, grouped by day in the clinic's
time zone, for the clinicians who may read the clinical record (audited as one read).

API
---
- :func:`client_timeline` ``(session, user, actor, client_id, now, kinds=None) -> Timeline``.
- :data:`KINDS`: the kinds of entry, with the words a filter shows.

Message bodies are not read (the kind, the channel and when it was sent are the story); the
client's own words are, as on the case page, because the record is read for their care.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.clients.service import get_readable_client
from alongside.instruments.library import get_instrument
from alongside.models import (
    Appointment,
    AuditAction,
    AuditEvent,
    Client,
    Consent,
    CrisisAlert,
    Decision,
    Intake,
    Organization,
    OutboxMessage,
    Score,
    Suggestion,
    User,
)
from alongside.models.encrypted import keyring_for
from alongside.security.guard import audit_access
from alongside.security.permissions import Action
from alongside.security.policy import Actor
from alongside.triage.wording import flag_words, with_flag_words

KINDS: dict[str, str] = {
    "intake": "Intakes and what the client wrote",
    "measure": "Questionnaire scores",
    "proposal": "Triage proposals",
    "decision": "Clinicians' decisions",
    "alert": "Crisis alerts",
    "appointment": "Appointments",
    "message": "Messages sent",
    "consent": "Consents",
    "access": "Who opened the record",
}

URGENCY_WORDS = {
    "crisis": "Crisis",
    "urgent": "Urgent",
    "soon": "Soon",
    "routine": "Routine",
}
OUTCOME_WORDS = {"accepted": "accepted", "amended": "amended", "rejected": "rejected"}
ALERT_ACTION_WORDS = {
    "client_called": "called the client",
    "emergency_services_contacted": "contacted emergency services",
    "no_answer": "tried the client, no answer",
    "other": "took another action",
}
APPOINTMENT_STATUS_WORDS = {
    "booked": "booked",
    "attended": "attended",
    "no_show": "did not attend",
    "cancelled": "cancelled",
    "rescheduled": "moved to another time",
}
MESSAGE_KIND_WORDS = {
    "crisis_alert": "Crisis alert to the on-call clinician",
    "appointment_reminder": "Appointment reminder",
    "intake_link": "Intake link",
    "measure_reminder": "Questionnaire reminder",
    "measures_due": "Questionnaire reminder",
    "waitlist_back_to_triage": "Waitlist: back to triage",
}
CHANNEL_WORDS = {"email": "email", "sms": "text message", "webhook": "pager", "page": "pager"}
CONSENT_PURPOSE_WORDS = {
    "intake_processing": "storing their answers to arrange their care",
    "software_reading": "software reading their words",
    "reminders": "reminders by email or text message",
    "research": "their answers in service evaluation",
}
ACCESS_ACTION_WORDS = {
    "read": "viewed",
    "list": "saw in a list",
    "search": "found in a search",
    "export": "exported",
    "create": "added to",
    "update": "changed",
    "decide": "decided on",
    "sign": "signed",
    "break_glass": "opened in an emergency",
}
ROLE_WORDS = {
    "client": "the client",
    "clinician": "clinician",
    "coordinator": "intake coordinator",
    "clinical_lead": "clinical lead",
    "admin": "administrator",
    "system": "automatic",
}
MAX_ACCESS_EVENTS = 500


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened, in words."""

    at: datetime
    kind: str
    title: str
    lines: tuple[str, ...] = ()
    quote: str | None = None
    link: str | None = None
    link_text: str | None = None
    technical: tuple[str, ...] = ()


@dataclass
class Timeline:
    """The client's story: entries grouped by local day, newest first."""

    client: Client
    zone: str
    kinds: frozenset[str]
    days: list[tuple[str, list[TimelineEntry]]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _instrument_name(instrument_id: str) -> str:
    try:
        return get_instrument(instrument_id).short_name
    except (KeyError, ValueError, LookupError):
        return instrument_id.upper()


def _names(session: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(wanted))).all()
    return {user_id: name for user_id, name in rows}


def _intakes(session: Session, client_id: uuid.UUID) -> list[TimelineEntry]:
    out = []
    for intake in session.scalars(select(Intake).where(Intake.client_id == client_id)):
        names = ", ".join(_instrument_name(i) for i in intake.instruments or [])
        if intake.submitted_at is not None:
            words = intake.own_words if intake.own_words_saved_at is not None else None
            lines = [f"Questionnaires: {names}." if names else "No questionnaires."]
            if intake.own_words_saved_at is not None and not words:
                lines.append("The client chose not to write in their own words.")
            out.append(
                TimelineEntry(
                    at=intake.submitted_at,
                    kind="intake",
                    title="Intake submitted",
                    lines=tuple(lines),
                    quote=words or None,
                    link=f"/review/intakes/{intake.id}",
                    link_text="Open the intake",
                    technical=(
                        (f"Consent text version {intake.consent_text_version}",)
                        if intake.consent_text_version
                        else ()
                    ),
                )
            )
        else:
            out.append(
                TimelineEntry(
                    at=intake.created_at,
                    kind="intake",
                    title="Intake link created, not yet submitted",
                    lines=(f"Questionnaires: {names}.",) if names else (),
                )
            )
    return out


def _scores(session: Session, client_id: uuid.UUID) -> list[TimelineEntry]:
    out = []
    for score in session.scalars(select(Score).where(Score.client_id == client_id)):
        name = _instrument_name(score.instrument_id)
        total = f" {score.total}" if score.total is not None else ""
        severity = score.severity.replace("_", " ") if score.severity else ""
        lines = [f"Critical answer: {flag_words(flag)}." for flag in score.flags or []]
        out.append(
            TimelineEntry(
                at=score.scored_at,
                kind="measure",
                title=f"{name}{total}" + (f" ({severity})" if severity else ""),
                lines=tuple(lines),
                link=f"/clients/{client_id}/measures",
                link_text="Measures and charts",
                technical=(f"{score.instrument_id} version {score.instrument_version}",),
            )
        )
    return out


def pathway_label(pathway_id: str | None) -> str:
    """A pathway's words from the published default ruleset (readable text when unknown)."""
    if not pathway_id:
        return ""
    from alongside.triage.rulesets import default_ruleset

    labels = {p.id: p.label for p in default_ruleset().pathways}
    return labels.get(pathway_id, pathway_id.replace("_", " ").replace("-", " "))


def _proposals(
    session: Session, client_id: uuid.UUID, names: dict[uuid.UUID, str]
) -> tuple[list[TimelineEntry], dict[uuid.UUID, Suggestion]]:
    out = []
    suggestions = {
        s.id: s
        for s in session.scalars(select(Suggestion).where(Suggestion.client_id == client_id))
    }
    for suggestion in suggestions.values():
        urgency = URGENCY_WORDS.get(suggestion.urgency, suggestion.urgency)
        reasons = tuple(
            with_flag_words(str(r.get("text", ""))) for r in suggestion.reason_list if r.get("text")
        )
        technical = [f"Rule {r.get('rule_id')}" for r in suggestion.reason_list if r.get("rule_id")]
        technical += [f"{k}: {v}" for k, v in sorted((suggestion.versions or {}).items())]
        out.append(
            TimelineEntry(
                at=suggestion.proposed_at,
                kind="proposal",
                title=f"Proposed: {urgency}, {pathway_label(suggestion.pathway)}",
                lines=reasons,
                link=f"/review/{suggestion.id}",
                link_text="Open the case",
                technical=tuple(technical),
            )
        )
    return out, suggestions


def _decisions(
    session: Session, client_id: uuid.UUID, names: dict[uuid.UUID, str]
) -> list[TimelineEntry]:
    out = []
    for decision in session.scalars(select(Decision).where(Decision.client_id == client_id)):
        who = names.get(decision.decided_by_id, "a clinician") if decision.decided_by_id else ""
        outcome = OUTCOME_WORDS.get(decision.outcome.value, decision.outcome.value)
        lines = []
        if decision.urgency or decision.pathway:
            lines.append(
                "Decided: "
                + ", ".join(
                    part
                    for part in (
                        URGENCY_WORDS.get(decision.urgency or "", decision.urgency or ""),
                        pathway_label(decision.pathway) if decision.pathway else "",
                    )
                    if part
                )
                + "."
            )
        reason = decision.reason
        if reason:
            lines.append(f"Reason: {reason}")
        out.append(
            TimelineEntry(
                at=decision.decided_at,
                kind="decision",
                title=f"Proposal {outcome}" + (f" by {who}" if who else ""),
                lines=tuple(lines),
                link=f"/review/{decision.suggestion_id}",
                link_text="Open the case",
            )
        )
    return out


def _alerts(
    session: Session, client_id: uuid.UUID, names: dict[uuid.UUID, str]
) -> list[TimelineEntry]:
    out = []
    for alert in session.scalars(select(CrisisAlert).where(CrisisAlert.client_id == client_id)):
        if alert.sent_at is not None:
            recipient = (
                names.get(alert.recipient_id, "the on-call clinician")
                if (alert.recipient_id)
                else "the on-call clinician"
            )
            out.append(
                TimelineEntry(
                    at=alert.sent_at,
                    kind="alert",
                    title=f"Crisis alert sent to {recipient}",
                    link=f"/review/alerts/{alert.id}",
                    link_text="Open the alert",
                )
            )
        if alert.acknowledged_at is not None:
            who = (
                names.get(alert.acknowledged_by_id, "a clinician")
                if (alert.acknowledged_by_id)
                else "a clinician"
            )
            action = ALERT_ACTION_WORDS.get(alert.action_taken or "", "")
            lines = [f"They {action}."] if action else []
            note = alert.action_note
            if note:
                lines.append(note)
            out.append(
                TimelineEntry(
                    at=alert.acknowledged_at,
                    kind="alert",
                    title=f"Crisis alert acknowledged by {who}",
                    lines=tuple(lines),
                    link=f"/review/alerts/{alert.id}",
                    link_text="Open the alert",
                )
            )
    return out


def _appointments(
    session: Session, client_id: uuid.UUID, names: dict[uuid.UUID, str], zone: ZoneInfo
) -> list[TimelineEntry]:
    out = []
    for appointment in session.scalars(
        select(Appointment).where(Appointment.client_id == client_id)
    ):
        status = APPOINTMENT_STATUS_WORDS.get(appointment.status.value, appointment.status.value)
        kind = appointment.kind.value.replace("_", " ")
        starts = appointment.starts_at.astimezone(zone)
        with_whom = names.get(appointment.clinician_id, "a clinician")
        out.append(
            TimelineEntry(
                at=appointment.starts_at,
                kind="appointment",
                title=f"{kind.capitalize()} with {with_whom} ({status})",
                lines=(
                    f"{starts.strftime('%H:%M')} {starts.tzname()}, "
                    f"{appointment.setting.replace('_', ' ')}.",
                ),
            )
        )
    return out


def _messages(session: Session, client_id: uuid.UUID) -> list[TimelineEntry]:
    out = []
    rows = session.execute(
        select(
            OutboxMessage.kind,
            OutboxMessage.channel,
            OutboxMessage.status,
            OutboxMessage.created_at,
            OutboxMessage.delivered_at,
        ).where(OutboxMessage.client_id == client_id)
    ).all()
    for kind, channel, status, created_at, delivered_at in rows:
        words = MESSAGE_KIND_WORDS.get(kind, kind.replace("_", " ").capitalize())
        how = CHANNEL_WORDS.get(channel.value, channel.value)
        state = "sent" if delivered_at is not None else status.value.replace("_", " ")
        out.append(
            TimelineEntry(
                at=delivered_at or created_at,
                kind="message",
                title=f"{words} by {how} ({state})",
            )
        )
    return out


def _consents(session: Session, client_id: uuid.UUID) -> list[TimelineEntry]:
    out = []
    for consent in session.scalars(select(Consent).where(Consent.client_id == client_id)):
        purpose = CONSENT_PURPOSE_WORDS.get(consent.purpose, consent.purpose.replace("_", " "))
        out.append(
            TimelineEntry(
                at=consent.recorded_at,
                kind="consent",
                title=f"Consent {'given' if consent.granted else 'declined or withdrawn'}: "
                f"{purpose}",
                technical=(f"Consent text version {consent.text_version}",),
            )
        )
    return out


def _accesses(session: Session, client_id: uuid.UUID, zone: ZoneInfo) -> list[TimelineEntry]:
    """Who opened the record: one entry per person, action and local day, with a count."""
    rows = session.execute(
        select(
            AuditEvent.occurred_at,
            AuditEvent.actor_name,
            AuditEvent.actor_role,
            AuditEvent.action,
            AuditEvent.purpose,
            AuditEvent.outcome,
        )
        .where(AuditEvent.client_id == client_id)
        .order_by(AuditEvent.occurred_at.desc())
        .limit(MAX_ACCESS_EVENTS)
    ).all()
    grouped: OrderedDict[tuple[str, str, str, str, str], list[datetime]] = OrderedDict()
    for occurred_at, name, role, action, purpose, outcome in rows:
        day = occurred_at.astimezone(zone).date().isoformat()
        key = (day, name, role, action, "refused" if outcome == "refused" else purpose)
        grouped.setdefault(key, []).append(occurred_at)
    out = []
    for (_day, name, role, action, purpose), moments in grouped.items():
        verb = ACCESS_ACTION_WORDS.get(action, action.replace("_", " "))
        if purpose == "refused":
            verb = "was refused"
        times = f" ({len(moments)} times)" if len(moments) > 1 else ""
        emergency = " in an emergency" if purpose == "emergency" and action != "break_glass" else ""
        role_words = ROLE_WORDS.get(role, role.replace("_", " "))
        # "The client viewed", not "The client (the client) viewed".
        who = name if name.casefold() == role_words.casefold() else f"{name} ({role_words})"
        out.append(
            TimelineEntry(
                at=max(moments),
                kind="access",
                title=f"{who} {verb}{emergency}{times}",
            )
        )
    return out


def client_timeline(
    session: Session,
    user: User,
    actor: Actor,
    client_id: uuid.UUID,
    now: datetime,
    *,
    kinds: Iterable[str] | None = None,
) -> Timeline:
    """The client's story for a reader of their clinical record; 404 for anyone else."""
    client = get_readable_client(session, user, actor, client_id, now, action=Action.CLINICAL_READ)
    chosen = frozenset(k for k in (kinds or ()) if k in KINDS) or frozenset(KINDS)
    organization = session.get(Organization, client.organization_id)
    zone_name = organization.timezone if organization is not None else "UTC"
    zone = _zone(zone_name)
    keyring_for(session).preload(session, [client.id])
    staff_ids: set[uuid.UUID | None] = set()
    staff_ids.update(
        session.scalars(select(Decision.decided_by_id).where(Decision.client_id == client.id))
    )
    staff_ids.update(
        session.scalars(select(CrisisAlert.recipient_id).where(CrisisAlert.client_id == client.id))
    )
    staff_ids.update(
        session.scalars(
            select(CrisisAlert.acknowledged_by_id).where(CrisisAlert.client_id == client.id)
        )
    )
    staff_ids.update(
        session.scalars(select(Appointment.clinician_id).where(Appointment.client_id == client.id))
    )
    names = _names(session, staff_ids)
    entries: list[TimelineEntry] = []
    # Who opened the record is read before this read is audited, so it is not its own entry.
    if "access" in chosen:
        entries += _accesses(session, client.id, zone)
    if "intake" in chosen:
        entries += _intakes(session, client.id)
    if "measure" in chosen:
        entries += _scores(session, client.id)
    if "proposal" in chosen:
        entries += _proposals(session, client.id, names)[0]
    if "decision" in chosen:
        entries += _decisions(session, client.id, names)
    if "alert" in chosen:
        entries += _alerts(session, client.id, names)
    if "appointment" in chosen:
        entries += _appointments(session, client.id, names, zone)
    if "message" in chosen:
        entries += _messages(session, client.id)
    if "consent" in chosen:
        entries += _consents(session, client.id)
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.READ,
        resource_type="timeline",
        resource_id=client.id,
        client_id=client.id,
        organization_id=client.organization_id,
        now=now,
    )
    entries.sort(key=lambda e: e.at, reverse=True)
    days: OrderedDict[str, list[TimelineEntry]] = OrderedDict()
    counts: dict[str, int] = dict.fromkeys(KINDS, 0)
    for entry in entries:
        local = entry.at.astimezone(zone)
        days.setdefault(local.strftime("%A %-d %B %Y"), []).append(entry)
        counts[entry.kind] = counts.get(entry.kind, 0) + 1
    return Timeline(
        client=client, zone=zone_name, kinds=chosen, days=list(days.items()), counts=counts
    )
