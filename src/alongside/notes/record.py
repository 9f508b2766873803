"""What the record holds about a client since their last signed progress note, as facts the
composer quotes (:class:`~alongside.notes.compose.RecordFact`): each fact's text is made from
its stored row's fields, and nothing recorded after the note's moment is included.

Callers have checked that the actor may write notes for the client and audit the read.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.instruments import ChangeResult, get_instrument
from alongside.measures.trends import (
    RELIABLE_DETERIORATION,
    RELIABLE_IMPROVEMENT,
    RELIABLE_RECOVERY,
    Measurement,
    has_trend,
    instrument_trend,
)
from alongside.models import (
    Appointment,
    AppointmentStatus,
    CrisisAlert,
    Decision,
    Note,
    NoteKind,
    NoteStatus,
    RiskReading,
    Score,
)
from alongside.notes.compose import RecordFact

_ACTION_WORDS = {
    "client_called": "client called",
    "emergency_services_contacted": "emergency services contacted",
    "no_answer": "no answer",
    "other": "other action",
}


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def previous_note(
    session: Session, client_id: uuid.UUID, before: datetime | None = None
) -> Note | None:
    """The client's latest signed progress note (before ``before``, when given)."""
    query = select(Note).where(
        Note.client_id == client_id,
        Note.kind == NoteKind.PROGRESS,
        Note.status != NoteStatus.DRAFT,
    )
    if before is not None:
        query = query.where(Note.created_at < before)
    return session.scalar(query.order_by(Note.created_at.desc(), Note.id.desc()).limit(1))


def _attendance(
    session: Session,
    client_id: uuid.UUID,
    since: datetime | None,
    now: datetime,
    appointment: Appointment | None,
) -> list[RecordFact]:
    query = select(Appointment).where(
        Appointment.client_id == client_id,
        Appointment.starts_at <= now,
        Appointment.status.in_(
            [AppointmentStatus.ATTENDED, AppointmentStatus.NO_SHOW, AppointmentStatus.BOOKED]
        ),
    )
    if since is not None:
        query = query.where(Appointment.starts_at > since)
    rows = list(session.scalars(query.order_by(Appointment.starts_at)))
    if appointment is not None and appointment not in rows:
        rows.append(appointment)
    facts = []
    for a in rows:
        status = a.status.value.replace("_", " ")
        setting = a.setting.replace("_", " ")
        text = f"{a.kind.value} session on {_day(a.starts_at)}, {setting}, {status}"
        facts.append(RecordFact("attendance", str(a.id), text))
    return facts


def _verdict(change: ChangeResult) -> str:
    """The change in the cited criterion's words (reliable recovery, improvement...)."""
    if change.direction == "deteriorated":
        return RELIABLE_DETERIORATION
    if change.direction == "improved":
        return RELIABLE_RECOVERY if change.clinically_significant else RELIABLE_IMPROVEMENT
    return str(change.direction)


def _measures(
    session: Session, client_id: uuid.UUID, since: datetime | None, now: datetime
) -> tuple[list[RecordFact], list[RecordFact]]:
    """The latest score of each instrument since the last note, and its change from the
    previous measure and from the first (each in the words of the cited criterion)."""
    scores = list(
        session.scalars(
            select(Score)
            .where(Score.client_id == client_id, Score.scored_at <= now)
            .order_by(Score.scored_at, Score.id)
        )
    )
    by_instrument: dict[str, list[Score]] = {}
    for score in scores:
        by_instrument.setdefault(score.instrument_id, []).append(score)
    measures: list[RecordFact] = []
    change: list[RecordFact] = []
    for instrument_id, series in by_instrument.items():
        latest = series[-1]
        if since is not None and latest.scored_at <= since:
            continue
        title = get_instrument(instrument_id).short_name
        total = "" if latest.total is None else f"total {latest.total}, "
        flags = f"; critical items: {', '.join(latest.flags)}" if latest.flags else ""
        text = f"{title} on {_day(latest.scored_at)}: {total}{latest.severity}{flags}"
        measures.append(RecordFact("measures", str(latest.id), text))
        if not has_trend(instrument_id) or len(series) < 2:
            continue
        trend = instrument_trend(
            instrument_id,
            [
                Measurement(s.instrument_id, s.scored_at, s.total, s.severity, tuple(s.flags))
                for s in series
            ],
        )
        for label, result in (
            ("since the previous measure", trend.latest.from_previous),
            ("since the first measure", trend.latest.from_first if len(series) > 2 else None),
        ):
            if result is None:
                continue
            text = (
                f"{trend.title} {result.before:g} to {result.after:g} {label}, {_verdict(result)}"
            )
            change.append(RecordFact("change", str(latest.id), text))
    return measures, change


def _risk(
    session: Session, client_id: uuid.UUID, since: datetime | None, now: datetime
) -> list[RecordFact]:
    query = select(RiskReading).where(
        RiskReading.client_id == client_id, RiskReading.read_at <= now
    )
    if since is not None:
        query = query.where(RiskReading.read_at > since)
    facts = []
    for reading in session.scalars(query.order_by(RiskReading.read_at)):
        spans = [e for e in reading.evidence_list if str(e.get("text", "")).strip()]
        if not spans:
            facts.append(
                RecordFact("risk", str(reading.id), f"level {reading.level}, no words quoted")
            )
        for span in spans:
            signal = str(span.get("signal", "")).replace("_", " ")
            facts.append(RecordFact("risk", str(reading.id), f'{signal}: "{span["text"]}"'))
    return facts


def _decisions(
    session: Session, client_id: uuid.UUID, since: datetime | None, now: datetime
) -> list[RecordFact]:
    from alongside.triage.rulesets import default_ruleset

    labels = {p.id: p.label for p in default_ruleset().pathways}
    query = select(Decision).where(Decision.client_id == client_id, Decision.decided_at <= now)
    if since is not None:
        query = query.where(Decision.decided_at > since)
    facts = []
    for d in session.scalars(query.order_by(Decision.decided_at)):
        proposed = labels.get(d.proposed_pathway, d.proposed_pathway)
        text = f"proposed {d.proposed_urgency}, {proposed}; the clinician {d.outcome.value}"
        if d.outcome.value == "amended" and d.pathway:
            text += f" to {d.urgency}, {labels.get(d.pathway, d.pathway)}"
        if d.reason:
            text += f" ({d.reason})"
        facts.append(RecordFact("decisions", str(d.id), text))
    return facts


def _alerts(
    session: Session, client_id: uuid.UUID, since: datetime | None, now: datetime
) -> list[RecordFact]:
    query = select(CrisisAlert).where(
        CrisisAlert.client_id == client_id, CrisisAlert.created_at <= now
    )
    if since is not None:
        query = query.where(CrisisAlert.created_at > since)
    facts = []
    for alert in session.scalars(query.order_by(CrisisAlert.created_at)):
        text = f"raised {_minute(alert.created_at)}"
        if alert.acknowledged_at is not None and alert.acknowledged_at <= now:
            action = _ACTION_WORDS.get(alert.action_taken or "", "acknowledged")
            text += f"; acknowledged {_minute(alert.acknowledged_at)}, {action}"
            if alert.action_note:
                text += f" ({alert.action_note})"
        else:
            text += "; not yet acknowledged"
        facts.append(RecordFact("alerts", str(alert.id), text))
    return facts


def _previous_plan(previous: Note | None) -> list[RecordFact]:
    if previous is None:
        return []
    facts = []
    for section in previous.section_list:
        if section.get("key") != "plan":
            continue
        for sentence in section.get("sentences", []):
            if not sentence.get("prompt"):
                facts.append(RecordFact("previous_plan", str(previous.id), sentence["text"]))
    return facts


def gather_facts(
    session: Session,
    client_id: uuid.UUID,
    now: datetime,
    appointment: Appointment | None = None,
) -> tuple[RecordFact, ...]:
    """What the record holds about the client since their last signed progress note, up to
    ``now`` (a note written for an earlier session quotes nothing that came after it)."""
    previous = previous_note(session, client_id, before=now)
    since = previous.created_at if previous is not None else None
    measures, change = _measures(session, client_id, since, now)
    return tuple(
        _attendance(session, client_id, since, now, appointment)
        + measures
        + change
        + _risk(session, client_id, since, now)
        + _alerts(session, client_id, since, now)
        + _decisions(session, client_id, since, now)
        + _previous_plan(previous)
    )
