"""What a signed-in client sees of their own record: progress and appointments, in plain words.

API
---
- :func:`my_progress` ``(session, user, actor, now) -> MyProgress``: each repeated measure as a
  trend with a plain-language summary (what the score means, what changed, whether the change
  is reliable), and the questionnaires waiting to be filled in. Audited as the client's read.
- :func:`my_appointments` ``(session, user, actor, now) -> MyAppointments``: upcoming and past.
- :func:`my_notes` ``(session, user, actor, now) -> list[MyNote]``: signed progress notes with
  their addenda and the corrections asked for (the notes the client's export holds).

Only instruments with a published trend (repeat measures such as PHQ-9 and GAD-7) are shown:
screening questions about risk are for the clinician to discuss with the client.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.audit.service import record
from alongside.errors import NotFound
from alongside.instruments.library import get_instrument
from alongside.measures.trends import (
    NO_RELIABLE_CHANGE,
    TOO_FEW,
    InstrumentTrend,
    Measurement,
    client_trends,
)
from alongside.models import (
    Appointment,
    AuditAction,
    AuditOutcome,
    AuditPurpose,
    CorrectionRequest,
    Intake,
    IntakeStatus,
    Note,
    NoteKind,
    NoteStatus,
    Score,
    User,
)
from alongside.security.permissions import Action
from alongside.security.policy import Actor, Resource, can

NOT_FOUND = "There is nothing at this address. Check the link, or go back to your home page."


def own_client_id(actor: Actor, action: Action = Action.CLIENT_READ) -> uuid.UUID:
    """The signed-in client's own record id (404 for anyone else)."""
    if actor.client_id is None or not can(
        actor, action, Resource(actor.organization_id, actor.client_id)
    ):
        raise NotFound(NOT_FOUND)
    return actor.client_id


def _audit(session: Session, user: User, actor: Actor, resource_type: str, now: datetime) -> None:
    record(
        session,
        actor=user,
        action=AuditAction.READ,
        resource_type=resource_type,
        resource_id=None,
        client_id=actor.client_id,
        organization_id=actor.organization_id,
        purpose=AuditPurpose.CLIENT_ACCESS,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )


@dataclass(frozen=True)
class MeasureSummary:
    """One measure's trend and what it says, in plain words."""

    trend: InstrumentTrend
    meaning: str
    change: str
    reliable: bool


@dataclass(frozen=True)
class DueQuestionnaire:
    """Questionnaires waiting to be filled in, and until when the link works."""

    instruments: tuple[str, ...]
    until: datetime


@dataclass(frozen=True)
class MyProgress:
    """The client's measures and what is due."""

    measures: tuple[MeasureSummary, ...]
    due: tuple[DueQuestionnaire, ...]


def _fmt(value: float) -> str:
    return f"{value:g}"


def summarise(trend: InstrumentTrend) -> MeasureSummary:
    """What a trend means for the client, in a sentence or two each."""
    latest = trend.latest
    low, high = trend.total_range
    direction = ""
    if trend.higher_is_better is True:
        direction = " Higher scores mean you are feeling better."
    elif trend.higher_is_better is False:
        direction = " Lower scores mean fewer difficulties."
    meaning = (
        f"Your latest {trend.title} score is {_fmt(latest.total)} out of {high} "
        f"(from {low} to {high}), in the {latest.severity} range.{direction}"
    )
    outcome = trend.outcome
    if outcome == TOO_FEW:
        change = "This is your first score: the next one will show what has changed."
        reliable = False
    else:
        first = trend.points[0]
        change = (
            f"Since your first score ({_fmt(first.total)}, {first.measured_at:%d %B %Y}): "
            f"{outcome}."
        )
        reliable = outcome.startswith("reliable")
        if outcome == NO_RELIABLE_CHANGE:
            change += " The difference is within what a questionnaire varies by on its own."
        elif reliable:
            change += " The change is larger than a questionnaire varies by on its own."
    return MeasureSummary(trend=trend, meaning=meaning, change=change, reliable=reliable)


def my_progress(session: Session, user: User, actor: Actor, now: datetime) -> MyProgress:
    """The client's repeated measures as plain-language trends, and questionnaires due."""
    client_id = own_client_id(actor)
    rows = session.execute(
        select(Score.instrument_id, Score.scored_at, Score.total, Score.severity, Score.flags)
        .where(Score.client_id == client_id)
        .order_by(Score.scored_at, Score.id)
    )
    measurements = [
        Measurement(
            instrument_id=instrument_id,
            measured_at=scored_at,
            total=total,
            severity=severity,
            flags=tuple(flags or ()),
        )
        for instrument_id, scored_at, total, severity, flags in rows
    ]
    trends = [t for t in client_trends(measurements) if t.points]
    due = tuple(
        DueQuestionnaire(
            instruments=tuple(get_instrument(i).short_name for i in intake.instruments),
            until=intake.expires_at,
        )
        for intake in session.scalars(
            select(Intake)
            .where(Intake.client_id == client_id)
            .where(Intake.status == IntakeStatus.OPEN)
            .where(Intake.expires_at > now)
            .order_by(Intake.expires_at)
        )
    )
    _audit(session, user, actor, "measures", now)
    return MyProgress(measures=tuple(summarise(t) for t in trends), due=due)


@dataclass(frozen=True)
class MyAppointment:
    """One appointment as the client sees it."""

    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    status: str
    clinician: str
    setting: str


@dataclass(frozen=True)
class MyAppointments:
    """Upcoming (soonest first) and past (latest first) appointments."""

    upcoming: tuple[MyAppointment, ...]
    past: tuple[MyAppointment, ...]


def my_appointments(session: Session, user: User, actor: Actor, now: datetime) -> MyAppointments:
    """The client's appointments, upcoming and past."""
    client_id = own_client_id(actor, Action.APPOINTMENT_READ)
    rows = session.scalars(
        select(Appointment)
        .where(Appointment.client_id == client_id)
        .where(Appointment.organization_id == actor.organization_id)
        .order_by(Appointment.starts_at)
    ).all()
    names = {
        u.id: u.display_name
        for u in session.scalars(select(User).where(User.id.in_({a.clinician_id for a in rows})))
    }
    items = [
        MyAppointment(
            id=a.id,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            status=str(a.status).replace("_", " "),
            clinician=names.get(a.clinician_id, "your clinician"),
            setting="in person" if a.setting == "in_person" else "by video",
        )
        for a in rows
    ]
    _audit(session, user, actor, "appointment", now)
    upcoming = tuple(a for a in items if a.ends_at >= now and a.status == "booked")
    past = tuple(reversed([a for a in items if a not in upcoming]))
    return MyAppointments(upcoming=upcoming, past=past)


@dataclass(frozen=True)
class MyNoteAddendum:
    """An addendum to a note, as the client reads it."""

    text: str
    author: str
    signed_at: datetime


@dataclass(frozen=True)
class MyNote:
    """A signed progress note, as the client reads it (the same as their export holds)."""

    id: uuid.UUID
    title: str
    author: str
    signed_at: datetime
    sections: tuple[tuple[str, tuple[str, ...]], ...]
    addenda: tuple[MyNoteAddendum, ...]
    corrections: tuple[CorrectionRequest, ...]


def my_notes(session: Session, user: User, actor: Actor, now: datetime) -> list[MyNote]:
    """The client's signed progress notes with their addenda and correction requests, newest
    first (audited). Drafts and psychotherapy notes are not part of what a client reads."""
    from alongside.notes.library import note_templates
    from alongside.notes.service import addenda_by_note, names_of

    client_id = own_client_id(actor, Action.CLIENT_EXPORT)
    notes = list(
        session.scalars(
            select(Note)
            .where(Note.client_id == client_id)
            .where(Note.kind == NoteKind.PROGRESS)
            .where(Note.status == NoteStatus.SIGNED)
            .where(Note.signed_at.is_not(None))
            .order_by(Note.signed_at.desc())
        )
    )
    addenda = addenda_by_note(session, notes)
    requests: dict[uuid.UUID, list[CorrectionRequest]] = {}
    if notes:
        for row in session.scalars(
            select(CorrectionRequest)
            .where(CorrectionRequest.client_id == client_id)
            .where(CorrectionRequest.note_id.in_([n.id for n in notes]))
            .order_by(CorrectionRequest.requested_at)
        ):
            assert row.note_id is not None  # noqa: S101 - filtered above
            requests.setdefault(row.note_id, []).append(row)
    people = [n.author_id for n in notes] + [
        a.author_id for items in addenda.values() for a in items
    ]
    names = names_of(session, people)
    templates = note_templates()
    out = []
    for note in notes:
        assert note.signed_at is not None  # noqa: S101 - filtered above
        template = templates.get(note.template_id)
        out.append(
            MyNote(
                id=note.id,
                title=template.title if template else "Progress note",
                author=names.get(note.author_id, "Your clinician")
                if note.author_id
                else "Your clinician",
                signed_at=note.signed_at,
                sections=tuple(
                    (str(s["title"]), tuple(str(x["text"]) for x in s["sentences"]))
                    for s in note.section_list
                ),
                addenda=tuple(
                    MyNoteAddendum(
                        text=str(a.text),
                        author=names.get(a.author_id, "Your clinician")
                        if a.author_id
                        else "Your clinician",
                        signed_at=a.signed_at,
                    )
                    for a in addenda.get(note.id, [])
                ),
                corrections=tuple(requests.get(note.id, [])),
            )
        )
    _audit(session, user, actor, "note", now)
    return out
