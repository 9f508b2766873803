"""Notes on the record: draft, edit, sign, co-sign, addenda, lists, psychotherapy notes.

API (services flush, never commit; routes, pages and the CLI own the transaction)
--------------------------------------------------------------------------------
- :func:`draft_for_appointment` / :func:`draft_ad_hoc`: a progress note drafted by the
  composer from the clinician's jottings and what the record holds since the last note
  (:func:`alongside.notes.record.gather_facts`); reworded by the clinic's own language model
  when one is configured (each of its sentences checked by :mod:`alongside.notes.attribution`).
- :func:`edit_draft`, :func:`sign_note`, :func:`cosign_note`, :func:`add_addendum`: a draft
  changes until it is signed; then it is locked (409) and corrections are addenda. A note whose
  author is a trainee on the client's care team (``team_role="trainee"``) waits for a
  supervisor on that team (``team_role="supervisor"``) to co-sign.
- :func:`get_note`, :func:`list_notes` (keyset on ``(created_at, id)``, newest first).
- :func:`create_psychotherapy_note`: kept apart, readable and writable by its author alone
  (everyone else, the clinical lead, break-glass and administrators included, gets the same 404
  as for a note that does not exist), never drafted by software, never in a list but the
  author's own, never exported.

Access goes through the policy (:func:`alongside.security.policy.can`) with the note's client,
author and kind; whatever it refuses is an audited 404. Every read and change is audited in
the same transaction (resource ``note``: a psychotherapy note is logged as a note, so the
log does not reveal which kind it is).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from alongside.clients.service import get_readable_client
from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.models import (
    Appointment,
    AppointmentStatus,
    AuditAction,
    CareTeam,
    Client,
    Note,
    NoteAddendum,
    NoteKind,
    NoteStatus,
    User,
)
from alongside.models.base import new_id
from alongside.models.encrypted import keyring_for
from alongside.notes.attribution import attribute_sections
from alongside.notes.compose import (
    COMPOSER_VERSION,
    DraftInput,
    JottingsRisk,
    Section,
    apply_edit,
    clinician_sentence,
    compose,
    in_first_person,
    sections_from_dicts,
    split_sentences,
    unsupported,
)
from alongside.notes.library import UnknownTemplate, note_template, note_templates
from alongside.notes.llm import LlmClient, LlmUnavailable
from alongside.notes.record import gather_facts
from alongside.notes.timeliness import ClinicianTimeliness, SessionNote, timeliness
from alongside.security.guard import audit_access, load_or_refuse, refuse
from alongside.security.permissions import PSYCHOTHERAPY_NOTE_KIND, Action, scope_of
from alongside.security.policy import Actor, Resource, can, readable_clients

NOT_FOUND = "No note with this id is available to you."
MAX_JOTTINGS = 20_000
MAX_TEXT = 20_000
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
TRAINEE = "trainee"
SUPERVISOR = "supervisor"
PSYCHOTHERAPY_TEMPLATE = "process"
PSYCHOTHERAPY_SECTION = ("process", "Process note")
LOCKED = "This note is signed and cannot change. Add an addendum to correct or add to it."


@dataclass(frozen=True)
class NotePage:
    """One page of notes and the cursor of the next (None: the last page)."""

    items: list[Note]
    next: str | None


# --- access ---------------------------------------------------------------------------------


def _resource(note: Note) -> Resource:
    return Resource(
        organization_id=note.organization_id,
        client_id=note.client_id,
        author_id=note.author_id,
        kind=PSYCHOTHERAPY_NOTE_KIND if note.kind is NoteKind.PSYCHOTHERAPY else "client",
    )


def _action(note: Note, write: bool) -> Action:
    if note.kind is NoteKind.PSYCHOTHERAPY:
        return Action.PSYCHOTHERAPY_NOTE_WRITE if write else Action.PSYCHOTHERAPY_NOTE_READ
    return Action.NOTE_WRITE if write else Action.NOTE_READ


def may_read(actor: Actor, note: Note) -> bool:
    """Whether the actor may read this note."""
    return can(actor, _action(note, write=False), _resource(note))


def may_write(actor: Actor, note: Note) -> bool:
    """Whether the actor may change this note (drafts) or add to it (addenda)."""
    return can(actor, _action(note, write=True), _resource(note))


def _load(
    session: Session, user: User, actor: Actor, note_id: uuid.UUID, now: datetime, *, write: bool
) -> Note:
    return load_or_refuse(
        session,
        Note,
        note_id,
        user=user,
        actor=actor,
        resource_type="note",
        allowed=lambda n: may_read(actor, n) and (not write or may_write(actor, n)),
        now=now,
        message=NOT_FOUND,
    )


def _audit(
    session: Session, user: User, actor: Actor, action: AuditAction, note: Note, now: datetime
) -> None:
    audit_access(
        session,
        user=user,
        actor=actor,
        action=action,
        resource_type="note",
        resource_id=note.id,
        client_id=note.client_id,
        organization_id=note.organization_id,
        now=now,
    )


def _team_role(session: Session, client_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
    return session.scalar(
        select(CareTeam.team_role).where(
            CareTeam.client_id == client_id, CareTeam.clinician_id == user_id
        )
    )


def _risk_spans(text: str) -> tuple[list[str], bool]:
    """Spans of risk the reader finds in ``text``, and whether it could not read it."""
    from alongside.risk.reader import read_risk
    from alongside.risk.reading import Level

    reading = read_risk(text)
    evidence = reading.evidence
    if reading.needs_human_reading or any(e.signal == "reader_unavailable" for e in evidence):
        return [], True
    spans = [s.text for s in reading.signals if s.text]
    # A moderate reading from the classifier alone names no fact and fires on calm
    # sentences ("sleeping better"); the prompt rests on a phrase, or on a high reading.
    if not spans and reading.level.rank >= Level.HIGH.rank:
        spans = [e.text for e in evidence if e.text]
        if not spans:
            return [], True
    return spans, False


def read_jottings_for_risk(jottings: str) -> JottingsRisk:
    """What the risk reader finds in the jottings, read as written and each sentence again in
    the first person (a quote is always the clinician's own words); it fails closed: any
    error means a person must read them."""
    if not jottings.strip():
        return JottingsRisk()
    try:
        spans, unread = _risk_spans(jottings)
        if unread:
            return JottingsRisk(unread=True)
        for sentence in split_sentences(jottings):
            rewritten = in_first_person(sentence)
            if rewritten == sentence:
                continue
            found, _unread = _risk_spans(rewritten)
            if found and sentence not in spans:
                spans.append(sentence)
    except Exception:  # the risk path fails closed: a person reads the jottings
        return JottingsRisk(unread=True)
    return JottingsRisk(spans=tuple(spans))


# --- drafting -------------------------------------------------------------------------------


def _clean_jottings(jottings: str) -> str:
    if len(jottings) > MAX_JOTTINGS:
        raise InvalidInput(f"jottings: at most {MAX_JOTTINGS} characters.")
    return jottings.strip()


def _template(template_id: str) -> str:
    try:
        return note_template(template_id).id
    except UnknownTemplate:
        known = ", ".join(sorted(note_templates()))
        raise InvalidInput(f"template: one of {known}.") from None


def _store_sections(note: Note, sections: Sequence[Section]) -> None:
    note.sections = json.dumps([s.to_dict() for s in sections], ensure_ascii=False)


def _draft(
    session: Session,
    *,
    user: User,
    actor: Actor,
    client: Client,
    appointment: Appointment | None,
    template_id: str,
    jottings: str,
    now: datetime,
    llm: LlmClient | None,
) -> Note:
    template = note_template(_template(template_id))
    jottings = _clean_jottings(jottings)
    note_id = new_id()
    facts = gather_facts(session, client.id, now, appointment)
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
    sections = compose(
        DraftInput(
            template=template,
            jottings=jottings,
            jottings_id=str(note_id),
            facts=facts,
            jottings_risk=read_jottings_for_risk(jottings),
        )
    )
    if llm is not None:
        try:
            sections = attribute_sections(sections, llm.reword(sections))
        except LlmUnavailable:
            pass  # the composed draft stands; the model only rewords
    note = Note(
        id=note_id,
        organization_id=client.organization_id,
        client_id=client.id,
        appointment_id=appointment.id if appointment is not None else None,
        author_id=user.id,
        kind=NoteKind.PROGRESS,
        status=NoteStatus.DRAFT,
        template_id=template.id,
        template_version=template.version,
        composer_version=COMPOSER_VERSION,
        created_at=now,
        updated_at=now,
    )
    note.jottings = jottings
    _store_sections(note, sections)
    session.add(note)
    session.flush()
    _audit(session, user, actor, AuditAction.CREATE, note, now)
    return note


def _writable_client(
    session: Session, user: User, actor: Actor, client_id: uuid.UUID, now: datetime
) -> Client:
    return get_readable_client(session, user, actor, client_id, now, action=Action.NOTE_WRITE)


def draft_for_appointment(
    session: Session,
    *,
    user: User,
    actor: Actor,
    appointment_id: uuid.UUID,
    template_id: str,
    jottings: str,
    now: datetime,
    llm: LlmClient | None = None,
) -> Note:
    """A progress note for one session, drafted from the jottings and the record."""
    from alongside.scheduling.booking import APPOINTMENT_NOT_FOUND

    appointment = load_or_refuse(
        session,
        Appointment,
        appointment_id,
        user=user,
        actor=actor,
        resource_type="appointment",
        allowed=lambda a: can(
            actor,
            Action.NOTE_WRITE,
            Resource(organization_id=a.organization_id, client_id=a.client_id),
        ),
        now=now,
        message=APPOINTMENT_NOT_FOUND,
    )
    if not appointment.is_active:
        raise Conflict(
            f"This appointment was {appointment.status.value}; write a note outside a session "
            "from the client's page instead."
        )
    if appointment.starts_at > now:
        raise Conflict("This session has not started yet; write its note after the session.")
    existing = session.scalar(
        select(Note.id).where(Note.appointment_id == appointment.id, Note.kind == NoteKind.PROGRESS)
    )
    if existing is not None:
        raise Conflict("This session already has a progress note; open it to edit or add to it.")
    client = _writable_client(session, user, actor, appointment.client_id, now)
    return _draft(
        session,
        user=user,
        actor=actor,
        client=client,
        appointment=appointment,
        template_id=template_id,
        jottings=jottings,
        now=now,
        llm=llm,
    )


def draft_ad_hoc(
    session: Session,
    *,
    user: User,
    actor: Actor,
    client_id: uuid.UUID,
    template_id: str,
    jottings: str,
    now: datetime,
    llm: LlmClient | None = None,
) -> Note:
    """A progress note outside a booked session (a call, a review), drafted the same way."""
    client = _writable_client(session, user, actor, client_id, now)
    return _draft(
        session,
        user=user,
        actor=actor,
        client=client,
        appointment=None,
        template_id=template_id,
        jottings=jottings,
        now=now,
        llm=llm,
    )


def psychotherapy_client(
    session: Session, user: User, actor: Actor, client_id: uuid.UUID, now: datetime
) -> Client:
    """The client, if the actor may keep psychotherapy notes about them (their own, on their
    care team), else an audited 404."""
    return load_or_refuse(
        session,
        Client,
        client_id,
        user=user,
        actor=actor,
        resource_type="client",
        allowed=lambda c: can(
            actor,
            Action.PSYCHOTHERAPY_NOTE_WRITE,
            Resource(
                organization_id=c.organization_id,
                client_id=c.id,
                author_id=actor.user_id,
                kind=PSYCHOTHERAPY_NOTE_KIND,
            ),
        ),
        now=now,
        audit=AuditAction.READ,
    )


def create_psychotherapy_note(
    session: Session, *, user: User, actor: Actor, client_id: uuid.UUID, text: str, now: datetime
) -> Note:
    """A psychotherapy (process) note in the clinician's own words, readable by them alone."""
    client = psychotherapy_client(session, user, actor, client_id, now)
    text = text.strip()
    if not text:
        raise InvalidInput("text: write the note.")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"text: at most {MAX_TEXT} characters.")
    note = Note(
        organization_id=client.organization_id,
        client_id=client.id,
        author_id=user.id,
        kind=NoteKind.PSYCHOTHERAPY,
        status=NoteStatus.DRAFT,
        template_id=PSYCHOTHERAPY_TEMPLATE,
        template_version="1",
        composer_version=None,
        created_at=now,
        updated_at=now,
    )
    key, title = PSYCHOTHERAPY_SECTION
    _store_sections(
        note,
        [
            Section(
                key=key,
                title=title,
                sentences=(clinician_sentence(text, str(user.id)),),
            )
        ],
    )
    session.add(note)
    session.flush()
    _audit(session, user, actor, AuditAction.CREATE, note, now)
    return note


# --- reading --------------------------------------------------------------------------------


def get_note(
    session: Session, *, user: User, actor: Actor, note_id: uuid.UUID, now: datetime
) -> Note:
    """One note the actor may read (audited), or an audited 404."""
    note = _load(session, user, actor, note_id, now, write=False)
    _audit(session, user, actor, AuditAction.READ, note, now)
    return note


def addenda_of(session: Session, note: Note) -> list[NoteAddendum]:
    """A note's addenda, oldest first (callers have checked access to the note)."""
    return list(
        session.scalars(
            select(NoteAddendum)
            .where(NoteAddendum.note_id == note.id)
            .order_by(NoteAddendum.signed_at, NoteAddendum.id)
        )
    )


def addenda_by_note(session: Session, notes: Sequence[Note]) -> dict[uuid.UUID, list[NoteAddendum]]:
    """The addenda of a page of notes, oldest first, in one query (access already checked)."""
    out: dict[uuid.UUID, list[NoteAddendum]] = {note.id: [] for note in notes}
    if not out:
        return out
    rows = session.scalars(
        select(NoteAddendum)
        .where(NoteAddendum.note_id.in_(list(out)))
        .order_by(NoteAddendum.signed_at, NoteAddendum.id)
    )
    for addendum in rows:
        out[addendum.note_id].append(addendum)
    return out


def encode_cursor(note: Note) -> str:
    """An opaque cursor after ``note`` in the newest-first order."""
    raw = f"{note.created_at.isoformat()}|{note.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The position a cursor names; a malformed one is a 422 with what to do."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, _, ident = raw.partition("|")
        when = datetime.fromisoformat(moment)
        if when.tzinfo is None:
            raise ValueError("naive")
        return when, uuid.UUID(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("cursor: use the 'next' value of the previous page unchanged.") from None


def list_notes(
    session: Session,
    *,
    user: User,
    actor: Actor,
    now: datetime,
    client_id: uuid.UUID | None = None,
    status: str | None = None,
    kind: str = "progress",
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> NotePage:
    """The notes the actor may read, newest first, a page at a time (one audited list)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit: between 1 and {MAX_LIMIT}.")
    try:
        wanted_kind = NoteKind(kind)
    except ValueError:
        raise InvalidInput("kind: progress or psychotherapy.") from None
    wanted_status: NoteStatus | None = None
    if status:
        try:
            wanted_status = NoteStatus(status)
        except ValueError:
            known = ", ".join(s.value for s in NoteStatus)
            raise InvalidInput(f"status: one of {known}.") from None
    query = select(Note).where(Note.organization_id == actor.organization_id)
    if wanted_kind is NoteKind.PSYCHOTHERAPY:
        # The author's own only, on their care team (the AUTHOR scope, decided per note).
        allowed = scope_of(actor.role, Action.PSYCHOTHERAPY_NOTE_READ) is not None and (
            actor.allowed_actions is None or Action.PSYCHOTHERAPY_NOTE_READ in actor.allowed_actions
        )
        if not allowed:
            return NotePage([], None)
        query = query.where(
            Note.kind == NoteKind.PSYCHOTHERAPY,
            Note.author_id == actor.user_id,
            Note.client_id.in_(actor.care_team_client_ids),
        )
    else:
        scope = readable_clients(actor, Action.NOTE_READ)
        query = query.where(Note.kind == NoteKind.PROGRESS)
        if scope.client_ids is not None:
            query = query.where(Note.client_id.in_(scope.client_ids))
    if client_id is not None:
        query = query.where(Note.client_id == client_id)
    if wanted_status is not None:
        query = query.where(Note.status == wanted_status)
    if cursor:
        when, after_id = decode_cursor(cursor)
        query = query.where(
            or_(Note.created_at < when, and_(Note.created_at == when, Note.id < after_id))
        )
    rows = list(
        session.scalars(query.order_by(Note.created_at.desc(), Note.id.desc()).limit(limit + 1))
    )
    more = len(rows) > limit
    items = rows[:limit]
    keyring_for(session).preload(session, {n.client_id for n in items})
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.LIST,
        resource_type="note",
        resource_id=None,
        client_id=client_id,
        organization_id=actor.organization_id,
        now=now,
    )
    return NotePage(items, encode_cursor(items[-1]) if more and items else None)


# --- changing -------------------------------------------------------------------------------


def edit_draft(
    session: Session,
    *,
    user: User,
    actor: Actor,
    note_id: uuid.UUID,
    sections: Sequence[tuple[str, Sequence[str]]],
    now: datetime,
) -> Note:
    """Change a draft: sentences kept word for word keep their source, the rest become the
    clinician's. 409 once the note is signed."""
    note = _load(session, user, actor, note_id, now, write=True)
    if note.is_locked:
        raise Conflict(LOCKED)
    stored = sections_from_dicts(note.section_list)
    keys = {s.key for s in stored}
    given = [key for key, _ in sections]
    unknown = [key for key in given if key not in keys]
    if unknown:
        raise InvalidInput(
            f"sections: this note has the sections {', '.join(sorted(keys))}; "
            f"not {', '.join(unknown)}."
        )
    if len(set(given)) != len(given):
        raise InvalidInput("sections: each section once.")
    for _, texts in sections:
        if sum(len(t) for t in texts) > MAX_TEXT:
            raise InvalidInput(f"sections: at most {MAX_TEXT} characters a section.")
    edited = dict(sections)
    merged = [(s.key, edited.get(s.key, [x.text for x in s.sentences])) for s in stored]
    _store_sections(note, apply_edit(stored, merged, str(user.id)))
    note.updated_at = now
    session.flush()
    _audit(session, user, actor, AuditAction.UPDATE, note, now)
    return note


def sign_note(
    session: Session, *, user: User, actor: Actor, note_id: uuid.UUID, now: datetime
) -> Note:
    """The author signs their draft; a trainee's note then waits for a supervisor."""
    note = _load(session, user, actor, note_id, now, write=True)
    if note.kind is NoteKind.PROGRESS and not can(actor, Action.NOTE_SIGN, _resource(note)):
        raise refuse(
            session,
            user=user,
            actor=actor,
            resource_type="note",
            resource_id=note.id,
            client_id=note.client_id,
            now=now,
            message=NOT_FOUND,
        )
    if note.is_locked:
        raise Conflict("This note is already signed.")
    if note.author_id != user.id:
        raise Conflict("Only the note's author can sign it; add an addendum instead.")
    sections = sections_from_dicts(note.section_list)
    if not any(s.sentences for s in sections):
        raise InvalidInput("This note is empty; write at least one sentence before signing.")
    if unsupported(sections):
        raise Conflict(
            "Some sentences are not supported by any source (marked in the draft). "
            "Edit or remove them before signing."
        )
    note.signed_at = now
    note.signed_by_id = user.id
    note.cosign_required = (
        note.kind is NoteKind.PROGRESS and _team_role(session, note.client_id, user.id) == TRAINEE
    )
    note.status = NoteStatus.AWAITING_COSIGNATURE if note.cosign_required else NoteStatus.SIGNED
    note.updated_at = now
    session.flush()
    _audit(session, user, actor, AuditAction.SIGN, note, now)
    return note


def cosign_note(
    session: Session, *, user: User, actor: Actor, note_id: uuid.UUID, now: datetime
) -> Note:
    """A supervisor on the client's care team co-signs a trainee's signed note."""
    note = _load(session, user, actor, note_id, now, write=True)
    if note.status is not NoteStatus.AWAITING_COSIGNATURE:
        raise Conflict("This note is not waiting for a co-signature.")
    if _team_role(session, note.client_id, user.id) != SUPERVISOR:
        raise Conflict("Only a supervisor on this client's care team can co-sign.")
    note.cosigned_at = now
    note.cosigned_by_id = user.id
    note.status = NoteStatus.SIGNED
    note.updated_at = now
    session.flush()
    _audit(session, user, actor, AuditAction.SIGN, note, now)
    return note


def add_addendum(
    session: Session, *, user: User, actor: Actor, note_id: uuid.UUID, text: str, now: datetime
) -> NoteAddendum:
    """A signed, dated addendum to a signed note (drafts are edited instead)."""
    note = _load(session, user, actor, note_id, now, write=True)
    if not note.is_locked:
        raise Conflict("This note is still a draft; edit it instead of adding an addendum.")
    text = text.strip()
    if not text:
        raise InvalidInput("text: write the addendum.")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"text: at most {MAX_TEXT} characters.")
    addendum = NoteAddendum(
        organization_id=note.organization_id,
        client_id=note.client_id,
        note_id=note.id,
        author_id=user.id,
        signed_at=now,
        created_at=now,
    )
    addendum.text = text
    session.add(addendum)
    session.flush()
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.SIGN,
        resource_type="note",
        resource_id=note.id,
        client_id=note.client_id,
        organization_id=note.organization_id,
        now=now,
    )
    return addendum


def notes_for_client_page(
    session: Session, *, user: User, actor: Actor, client: Client, now: datetime
) -> list[Note] | None:
    """The client's progress notes for their page (None: the actor may not read notes)."""
    resource = Resource(organization_id=client.organization_id, client_id=client.id)
    if not can(actor, Action.NOTE_READ, resource):
        return None
    return list_notes(
        session, user=user, actor=actor, now=now, client_id=client.id, limit=MAX_LIMIT
    ).items


def own_psychotherapy_notes(
    session: Session, *, user: User, actor: Actor, client: Client, now: datetime
) -> list[Note]:
    """The actor's own psychotherapy notes about this client (nobody else's, ever)."""
    return list_notes(
        session,
        user=user,
        actor=actor,
        now=now,
        client_id=client.id,
        kind="psychotherapy",
        limit=MAX_LIMIT,
    ).items


def names_of(session: Session, ids: Sequence[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Staff names by id, for showing who wrote and signed."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {row[0]: row[1] for row in rows}


OVERDUE_AFTER = timedelta(hours=72)


def late_notes(session: Session, *, actor: Actor, now: datetime) -> list[ClinicianTimeliness]:
    """Time from session end to signed note, by clinician, for the clinical lead's oversight
    (no client appears; 404 for anyone without the oversight permission)."""
    if not can(actor, Action.FAIRNESS_READ, Resource(organization_id=actor.organization_id)):
        raise NotFound("There is nothing at this address available to you.")
    rows = session.execute(
        select(User.display_name, Appointment.ends_at, Note.signed_at)
        .join(User, User.id == Appointment.clinician_id)
        .outerjoin(
            Note,
            and_(Note.appointment_id == Appointment.id, Note.kind == NoteKind.PROGRESS),
        )
        .where(
            Appointment.organization_id == actor.organization_id,
            Appointment.status == AppointmentStatus.ATTENDED,
            Appointment.ends_at <= now,
        )
    )
    return timeliness(
        (SessionNote(name, ended, signed) for name, ended, signed in rows),
        now=now,
        overdue_after=OVERDUE_AFTER,
    )
